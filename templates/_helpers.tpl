{{- /*
Helpers of the secrets-store-integration chart.

Deckhouse renders this chart with the module values under .Values.secretsStoreIntegration
(openapi/config-values.yaml and openapi/values.yaml) and the cluster-wide values under
.Values.global. The templates read:

  secretsStoreIntegration.internal.connection  the effective store connection (a hook computes it;
                                               {} when there is no store)
  secretsStoreIntegration.internal.webhookCert the webhook serving certificate (a hook issues it)
  secretsStoreIntegration.rotationInterval, .logLevel, .webhook.replicas,
  secretsStoreIntegration.tokenAudience, .additionalTokenAudiences
  secretsStoreIntegration.csiDriver.nodeSelector, .csiDriver.tolerations
  secretsStoreIntegration.synchronization.{enabled,replicas}   the sync controller and its admission
                                                              policies (templates/sync-controller/,
                                                              templates/sync-admission-policies.yaml)
  secretsStoreIntegration.registry.{base,dockercfg}   set by Deckhouse for modules from a module source
  global.modulesImages.registry.{base,dockercfg}, global.modulesImages.digests.secretsStoreIntegration.*
  global.modulesImages.digests.common.kubeRbacProxy   the platform's kube-rbac-proxy image
  global.internal.modules.kubeRBACProxyCA.cert        the CA of kube-rbac-proxy clients (ConfigMap
                                                      kube-rbac-proxy-ca.crt)
  global.discovery.d8SpecificNodeCountByRole, global.clusterConfiguration.proxy,
  global.enabledModules

The chart carries no branch for any particular cluster: the local single-node cluster of the tests
gets its differences applied to the rendered objects by the test harness (test/modulechart/local.go).
*/ -}}

{{- define "ssi.name" -}}secrets-store-integration{{- end }}
{{- define "ssi.namespace" -}}d8-secrets-store-integration{{- end }}
{{- define "ssi.driverName" -}}secrets-store.csi.deckhouse.io{{- end }}
{{- /*
The SecurityPolicyException of the CSI driver's pods (csi-driver/security-policy-exception.yaml),
rendered where Deckhouse's admission-policy-engine serves the API. The name carries the module's
name, so that it is unique in the cluster whatever the scope of the resource.
*/ -}}
{{- define "ssi.csiPolicyExceptionName" -}}secrets-store-integration-csi-driver{{- end }}
{{- define "ssi.policyExceptionAPI" -}}
{{- if .Capabilities.APIVersions.Has "deckhouse.io/v1alpha1/SecurityPolicyException" }}true{{ end }}
{{- end }}
{{- /*
The webhook's Deployment. Not "webhook": release 1.4 of the module has a Deployment of that name
with another selector, which cannot be changed in place, so an update from 1.4 replaces it.
*/ -}}
{{- define "ssi.webhookDeploymentName" -}}secrets-store-webhook{{- end }}
{{- define "ssi.webhookServiceName" -}}secrets-store-integration-webhook{{- end }}
{{- define "ssi.webhookTLSSecretName" -}}secrets-store-integration-webhook-tls{{- end }}
{{- define "ssi.storeCAConfigMapName" -}}secrets-store-integration-store-ca{{- end }}
{{- define "ssi.syncHMACSecretName" -}}secrets-store-integration-sync-hmac{{- end }}
{{- define "ssi.syncLeaderElectionID" -}}secrets-store-integration-sync-controller{{- end }}
{{- define "ssi.registrySecretName" -}}module-registry{{- end }}

{{- /* Whether the synchronization into Kubernetes Secrets (SecretsStoreSync) is on: "true" or "". */ -}}
{{- define "ssi.syncEnabled" -}}
{{- if dig "synchronization" "enabled" false .Values.secretsStoreIntegration }}true{{ end }}
{{- end }}

{{- /* Where the store CA and the webhook certificate are mounted in the containers. */ -}}
{{- define "ssi.storeCADir" -}}/etc/secrets-store/store-ca{{- end }}
{{- define "ssi.webhookTLSDir" -}}/etc/secrets-store/webhook-tls{{- end }}

{{- /*
Labels and images come from the platform's Helm library (charts/): helm_lib_module_labels
(heritage, module and the extra labels given) and helm_lib_module_image (the module registry, or a
module source's own, and the digest the build recorded in
global.modulesImages.digests.secretsStoreIntegration.<image>).
*/ -}}

{{- /* The effective connection to the store: a dict with url, authPath, caCert, namespace (any may be absent). */ -}}
{{- define "ssi.connection" -}}
{{- dig "internal" "connection" dict .Values.secretsStoreIntegration | toJson }}
{{- end }}

{{- define "ssi.imagePullPolicy" -}}IfNotPresent{{- end }}

{{- /* The pull secret's content: the module's own registry credentials, or Deckhouse's. Empty locally. */ -}}
{{- define "ssi.registryDockercfg" -}}
{{- $cfg := dig "registry" "dockercfg" "" .Values.secretsStoreIntegration }}
{{- if not $cfg }}
{{- $cfg = dig "modulesImages" "registry" "dockercfg" "" .Values.global }}
{{- end }}
{{- $cfg }}
{{- end }}

{{- define "ssi.imagePullSecrets" -}}
{{- if include "ssi.registryDockercfg" . }}
imagePullSecrets:
- name: {{ include "ssi.registrySecretName" . }}
{{- end }}
{{- end }}

{{- /* The log level flag value of the webhook and the CSI driver. */ -}}
{{- define "ssi.logLevel" -}}
{{- .Values.secretsStoreIntegration.logLevel | default "Info" | lower }}
{{- end }}

{{- /* kubelet's --root-dir on Deckhouse nodes. */ -}}
{{- define "ssi.kubeletDir" -}}/var/lib/kubelet{{- end }}

{{- /*
Usage: {{ include "ssi.port" (list . "webhook" 9443) }}, {{ include "ssi.listen" (list . "webhook" 9443) }},
       {{ include "ssi.localListen" (list . "webhookMetrics" 9090) }}
The port of a listener (the default given; the name says which) and the address the program
listens on: that port on every address of the pod, or (localListen) on 127.0.0.1 only, for the
metrics that only kube-rbac-proxy in the same pod reaches.

The ports of the three workloads differ from each other although their pods never share a network
namespace in a Deckhouse cluster: the local test cluster runs them all on the node's network.
  webhook          https 9443, health 9080, metrics 127.0.0.1:9090, https-metrics 9190
  csi-driver       health 9808, metrics 127.0.0.1:9809, https-metrics 9810
  sync-controller  health 9081, metrics 127.0.0.1:9091, https-metrics 9191
*/ -}}
{{- define "ssi.port" -}}
{{- index . 2 | int }}
{{- end }}
{{- define "ssi.listen" -}}
{{- printf ":%s" (include "ssi.port" .) }}
{{- end }}
{{- define "ssi.localListen" -}}
{{- printf "127.0.0.1:%s" (include "ssi.port" .) }}
{{- end }}

{{- define "ssi.proxyEnv" -}}
{{- $cc := dig "clusterConfiguration" dict .Values.global }}
{{- $proxy := dig "proxy" dict $cc }}
{{- if or $proxy.httpProxy $proxy.httpsProxy }}
{{- with $proxy.httpProxy }}
- name: HTTP_PROXY
  value: {{ . | quote }}
{{- end }}
{{- with $proxy.httpsProxy }}
- name: HTTPS_PROXY
  value: {{ . | quote }}
{{- end }}
{{- /* Cluster-internal traffic never goes through the proxy. */}}
{{- $noProxy := list "127.0.0.1" "169.254.169.254" }}
{{- with dig "discovery" "clusterDomain" "" .Values.global | default $cc.clusterDomain }}{{ $noProxy = append $noProxy . }}{{ end }}
{{- with $cc.podSubnetCIDR }}{{ $noProxy = append $noProxy . }}{{ end }}
{{- with $cc.serviceSubnetCIDR }}{{ $noProxy = append $noProxy . }}{{ end }}
{{- range $proxy.noProxy | default list }}{{ $noProxy = append $noProxy . }}{{ end }}
- name: NO_PROXY
  value: {{ $noProxy | uniq | join "," | quote }}
{{- end }}
{{- end }}

{{- /*
Store flags shared by the webhook and the CSI driver, from internal.connection. Without a URL
there is no module-wide store: no store flag is passed, so the webhook refuses opted-in pods that
do not name a store themselves and CSI publishes fail, each with a message that says so.
*/ -}}
{{- define "ssi.storeArgs" -}}
{{- $conn := include "ssi.connection" . | fromJson }}
{{- if $conn.url }}
- --store-addr={{ $conn.url }}
{{- with $conn.authPath }}
- --store-auth-path={{ . }}
{{- end }}
{{- with $conn.namespace }}
- --store-namespace={{ . }}
{{- end }}
{{- if $conn.caCert }}
- --store-ca-file={{ include "ssi.storeCADir" . }}/ca.crt
{{- end }}
{{- end }}
{{- end }}

{{- /* The store CA is mounted only when there is one; without it the system CA bundle is used. */ -}}
{{- define "ssi.storeCAVolumeMounts" -}}
{{- $conn := include "ssi.connection" . | fromJson }}
{{- if and $conn.url $conn.caCert }}
- name: store-ca
  mountPath: {{ include "ssi.storeCADir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "ssi.storeCAVolumes" -}}
{{- $conn := include "ssi.connection" . | fromJson }}
{{- if and $conn.url $conn.caCert }}
- name: store-ca
  configMap:
    name: {{ include "ssi.storeCAConfigMapName" . }}
    defaultMode: 0444
{{- end }}
{{- end }}

{{- /* Pod annotation that restarts the pods when the store CA changes (both programs read it at start). */ -}}
{{- define "ssi.storeCAChecksum" -}}
{{- $conn := include "ssi.connection" . | fromJson }}
checksum/store-ca: {{ $conn.caCert | default "" | sha256sum }}
{{- end }}

{{- /*
The webhook and the sync controller are placed as Deckhouse places system components, by the
platform's Helm library: helm_lib_node_selector and helm_lib_tolerations with the "system"
strategy (dedicated nodes of the module, else system nodes; their taints tolerated).
*/ -}}

{{- /*
Placement of the CSI driver: csiDriver.nodeSelector and csiDriver.tolerations, by default every
Linux node and every taint, since a pod with a secrets-store volume can start only where the
driver runs.
*/ -}}
{{- define "ssi.csiNodeSelector" -}}
nodeSelector:
{{- with dig "csiDriver" "nodeSelector" dict .Values.secretsStoreIntegration }}
  {{- toYaml . | nindent 2 }}
{{- else }}
  kubernetes.io/os: linux
{{- end }}
{{- end }}

{{- define "ssi.csiTolerations" -}}
tolerations:
{{- with dig "csiDriver" "tolerations" list .Values.secretsStoreIntegration }}
{{- toYaml . | nindent 0 }}
{{- else }}
- operator: Exists
{{- end }}
{{- end }}

{{- define "ssi.webhookResources" -}}
resources:
  requests:
    cpu: 20m
    memory: 48Mi
    ephemeral-storage: 50Mi
  limits:
    memory: 192Mi
{{- end }}

{{- /*
The sync controller holds the SecretsStoreSync objects, the Secrets it writes (watched by label) and
a token cache per identity; the design targets 64 MiB at 1,000 resources, and
GOMEMLIMIT keeps the heap below the limit.
*/ -}}
{{- define "ssi.syncControllerResources" -}}
resources:
  requests:
    cpu: 20m
    memory: 48Mi
    ephemeral-storage: 50Mi
  limits:
    memory: 128Mi
{{- end }}

{{- /* The node plugin keeps one small state file and a token cache per identity; 1,000 volumes fit in 50Mi. */ -}}
{{- define "ssi.csiDriverResources" -}}
resources:
  requests:
    cpu: 10m
    memory: 32Mi
    ephemeral-storage: 50Mi
  limits:
    memory: 128Mi
{{- end }}

{{- define "ssi.prepullResources" -}}
resources:
  requests:
    cpu: 10m
    memory: 16Mi
    ephemeral-storage: 16Mi
  limits:
    memory: 32Mi
{{- end }}

{{- /* Monitoring objects are rendered only where their APIs exist. */ -}}
{{- define "ssi.podMonitorsEnabled" -}}
{{- if and (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PodMonitor") (has "prometheus" (.Values.global.enabledModules | default list)) }}true{{ end }}
{{- end }}

{{- /*
Usage: {{ include "ssi.podMonitor" (list . "webhook") }},
       {{ include "ssi.podMonitor" (list . "sync-controller" (dict "honorLabels" true)) }}
A PodMonitor for the pods labelled app=<app> in the module namespace. It lives in d8-monitoring
(the namespace of Deckhouse's Prometheus, labelled prometheus: main) and scrapes the port
https-metrics of kube-rbac-proxy over HTTPS with the token of Prometheus (the Secret
prometheus-token of d8-monitoring); kube-rbac-proxy serves a self-signed certificate, which is not
verified. honorLabels keeps the labels of the metrics where they clash with the target's: the sync
controller labels the series of a SecretsStoreSync with its own namespace, which must not be
replaced by the module namespace.
*/ -}}
{{- define "ssi.podMonitor" -}}
{{- $ctx := index . 0 }}
{{- $app := index . 1 }}
{{- $opts := dict }}
{{- if gt (len .) 2 }}{{ $opts = index . 2 }}{{ end }}
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ include "ssi.name" $ctx }}-{{ $app }}
  namespace: d8-monitoring
  {{- include "helm_lib_module_labels" (list $ctx (dict "app" $app "prometheus" "main")) | trim | nindent 2 }}
spec:
  selector:
    matchLabels:
      app: {{ $app }}
  namespaceSelector:
    matchNames:
    - {{ include "ssi.namespace" $ctx }}
  podMetricsEndpoints:
  - port: https-metrics
    scheme: https
    path: /metrics
    bearerTokenSecret:
      name: prometheus-token
      key: token
    tlsConfig:
      insecureSkipVerify: true
    {{- if $opts.honorLabels }}
    honorLabels: true
    {{- end }}
    relabelings:
    - sourceLabels: [__meta_kubernetes_pod_ready]
      regex: "true"
      action: keep
    - targetLabel: job
      replacement: {{ include "ssi.name" $ctx }}-{{ $app }}
    - sourceLabels: [__meta_kubernetes_pod_node_name]
      targetLabel: node
    - targetLabel: tier
      replacement: cluster
    - regex: endpoint|container
      action: labeldrop
{{- end }}

{{- /*
kube-rbac-proxy in front of the metrics of each workload (templates/kube-rbac-proxy.yaml has its
ConfigMaps and RBAC). The program listens for metrics on 127.0.0.1 only; the sidecar listens on
https-metrics with a self-signed certificate, authenticates the caller's bearer token with a
TokenReview (or a client certificate signed by the kube-rbac-proxy CA of the cluster, the
ConfigMap kube-rbac-proxy-ca.crt) and authorizes it with a SubjectAccessReview of get on the
subresource prometheus-metrics of the workload (see kubeRbacProxyConfig), then proxies to the
program. The probes do not pass through it: each program answers them on a health port of its own.

The image is the platform's common kube-rbac-proxy (global.modulesImages.digests.common.kubeRbacProxy).
Only flags that Deckhouse's build and upstream kube-rbac-proxy both take are passed: the
authorization comes from --config-file and the upstream from --upstream.

Usage: {{ include "ssi.kubeRbacProxyContainer" (list . "webhook" 9190 9090) }}
       (the app, the port of https-metrics, the program's metrics port on 127.0.0.1)
*/ -}}
{{- define "ssi.kubeRbacProxyConfigDir" -}}/etc/kube-rbac-proxy/config{{- end }}
{{- define "ssi.kubeRbacProxyCADir" -}}/etc/kube-rbac-proxy/ca{{- end }}
{{- define "ssi.kubeRbacProxyConfigMapName" -}}secrets-store-integration-kube-rbac-proxy{{- end }}
{{- define "ssi.kubeRbacProxyContainer" -}}
{{- $ctx := index . 0 }}
{{- $app := index . 1 }}
{{- $listen := index . 2 }}
{{- $upstream := index . 3 }}
- name: kube-rbac-proxy
  image: {{ include "helm_lib_module_common_image" (list $ctx "kubeRbacProxy") }}
  imagePullPolicy: {{ include "ssi.imagePullPolicy" $ctx }}
  args:
  - --secure-listen-address={{ include "ssi.listen" (list $ctx "httpsMetrics" $listen) }}
  - --upstream=http://{{ include "ssi.localListen" (list $ctx "metrics" $upstream) }}/
  - --config-file={{ include "ssi.kubeRbacProxyConfigDir" $ctx }}/{{ $app }}.yaml
  - --client-ca-file={{ include "ssi.kubeRbacProxyCADir" $ctx }}/ca.crt
  ports:
  - name: https-metrics
    containerPort: {{ include "ssi.port" (list $ctx "httpsMetrics" $listen) }}
    protocol: TCP
  # TCP probes: any path over HTTPS would need a token (the flags that exempt one differ between
  # Deckhouse's build and upstream's).
  readinessProbe:
    tcpSocket:
      port: https-metrics
    periodSeconds: 10
    failureThreshold: 3
  livenessProbe:
    tcpSocket:
      port: https-metrics
    initialDelaySeconds: 5
    periodSeconds: 10
    failureThreshold: 6
  {{- include "helm_lib_module_container_security_context_pss_restricted_flexible" (dict "uid" 65534) | trim | nindent 2 }}
  resources:
    requests:
      {{- include "helm_lib_container_kube_rbac_proxy_resources" $ctx | trim | nindent 6 }}
      ephemeral-storage: 50Mi
    limits:
      memory: 64Mi
  volumeMounts:
  - name: kube-rbac-proxy-config
    mountPath: {{ include "ssi.kubeRbacProxyConfigDir" $ctx }}
    readOnly: true
  - name: kube-rbac-proxy-ca
    mountPath: {{ include "ssi.kubeRbacProxyCADir" $ctx }}
    readOnly: true
  terminationMessagePolicy: FallbackToLogsOnError
{{- end }}

{{- define "ssi.kubeRbacProxyVolumes" -}}
- name: kube-rbac-proxy-config
  configMap:
    name: {{ include "ssi.kubeRbacProxyConfigMapName" . }}
    defaultMode: 0444
- name: kube-rbac-proxy-ca
  configMap:
    name: kube-rbac-proxy-ca.crt
    defaultMode: 0444
{{- end }}

{{- /*
Usage: {{ include "ssi.kubeRbacProxyConfig" (list . "deployments" "secrets-store-webhook") }}
The authorization of kube-rbac-proxy: the caller needs get on <resource>/prometheus-metrics of the
workload in the module namespace (templates/kube-rbac-proxy.yaml grants it to Prometheus).
*/ -}}
{{- define "ssi.kubeRbacProxyConfig" -}}
{{- $ctx := index . 0 }}
authorization:
  resourceAttributes:
    namespace: {{ include "ssi.namespace" $ctx }}
    apiGroup: apps
    apiVersion: v1
    resource: {{ index . 1 }}
    subresource: prometheus-metrics
    name: {{ index . 2 }}
{{- end }}

{{- /* The imageRegistries settings as the JSON document of the webhook's --registry-config. */ -}}
{{- define "ssi.imageRegistries" -}}
{{- dig "imageRegistries" dict .Values.secretsStoreIntegration | toJson }}
{{- end }}

{{- define "ssi.imageRegistriesDir" -}}/etc/secrets-store/registries{{- end }}
