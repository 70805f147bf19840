// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The chart is shipped as a Deckhouse cluster runs it: pods on the pod network, the webhook
// reached through its Service, images by digest from the module registry, kubelet in
// /var/lib/kubelet. The local single-node cluster of the tests (test/stack) has no CNI, no
// kube-proxy and no registry, and lets nothing but 127.0.0.1 be used. Its differences are not
// chart values: Render applies them to the rendered objects, as documented here, and nothing
// else of the chart changes.
//
//   - Deployments and DaemonSets use the node's network (hostNetwork, with cluster DNS where
//     there is one), and a Deployment replaces its pods instead of surging, since two pods on
//     one node cannot bind one port.
//   - Every program listens on BindAddress: a --*listen=:PORT or --*listen=127.0.0.1:PORT flag
//     (--*listen-address too, kube-rbac-proxy's) becomes BindAddress:LOCAL, with LOCAL from
//     Ports (free ports the stack picked), as do kube-rbac-proxy's --upstream=http://127.0.0.1:PORT/,
//     the container ports and the probes (HTTP and TCP, which get BindAddress as their host).
//   - The containers reach the API server at APIServerHost:APIServerPort
//     (KUBERNETES_SERVICE_HOST/PORT), since the "kubernetes" Service does not route either.
//   - The API server calls the webhook at WebhookURL instead of through its Service (the
//     serving certificate names 127.0.0.1).
//   - /var/lib/kubelet becomes KubeletDir in arguments, mounts and host paths.
//   - An image given by a digest of Digests becomes the local image of the same key (Images),
//     imported into containerd and never pulled, in container images and in arguments (the
//     webhook's --injector-image).

// LocalKey is the top-level key of the values that holds the *Local of the stack. Values sets
// it; Render takes it out before rendering (the chart never sees it) and applies it to the
// rendered objects.
const LocalKey = "stackLocal"

// Local is the local cluster's difference from a Deckhouse cluster.
type Local struct {
	BindAddress   string
	Ports         map[int64]int64 // the chart's port -> the local one
	APIServerHost string
	APIServerPort int
	WebhookURL    string
	KubeletDir    string
	Digests       map[string]string // image key -> the digest the chart is rendered with
	Images        map[string]string // image key -> local image reference
}

// productionKubeletDir is kubelet's directory on Deckhouse nodes, as the chart renders it.
const productionKubeletDir = "/var/lib/kubelet"

var (
	listenFlag   = regexp.MustCompile(`^(--[a-z-]*listen(?:-address)?)=(?:127\.0\.0\.1)?:(\d+)$`)
	upstreamFlag = regexp.MustCompile(`^(--upstream=http://)127\.0\.0\.1:(\d+)(/.*)?$`)
)

// apply patches objs in place.
func (l *Local) apply(objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		var err error
		switch o.GetKind() {
		case "Deployment", "DaemonSet":
			err = l.patchWorkload(o)
		case "MutatingWebhookConfiguration":
			err = l.patchWebhookConfiguration(o)
		}
		if err != nil {
			return fmt.Errorf("local patch of %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

func (l *Local) patchWorkload(o *unstructured.Unstructured) error {
	spec, ok := o.Object["spec"].(map[string]any)
	if !ok {
		return fmt.Errorf("no spec")
	}
	if o.GetKind() == "Deployment" {
		spec["strategy"] = map[string]any{
			"type":          "RollingUpdate",
			"rollingUpdate": map[string]any{"maxSurge": int64(0), "maxUnavailable": int64(1)},
		}
	}
	pod, ok := dig(spec, "template", "spec").(map[string]any)
	if !ok {
		return fmt.Errorf("no pod template")
	}
	pod["hostNetwork"] = true
	pod["dnsPolicy"] = "ClusterFirstWithHostNet"
	for _, v := range asSlice(pod["volumes"]) {
		if hp, ok := dig(v, "hostPath").(map[string]any); ok {
			hp["path"] = l.kubeletPath(hp["path"])
		}
	}
	for _, field := range []string{"initContainers", "containers"} {
		for _, c := range asSlice(pod[field]) {
			cm, ok := c.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: not an object", field)
			}
			if err := l.patchContainer(cm, field == "containers"); err != nil {
				return fmt.Errorf("container %v: %w", cm["name"], err)
			}
		}
	}
	return nil
}

func (l *Local) patchContainer(c map[string]any, main bool) error {
	image, _ := c["image"].(string)
	c["image"] = l.image(image)
	c["imagePullPolicy"] = "Never"
	args := asSlice(c["args"])
	for i, a := range args {
		s, _ := a.(string)
		if m := listenFlag.FindStringSubmatch(s); m != nil {
			port, err := l.port(m[2])
			if err != nil {
				return err
			}
			s = fmt.Sprintf("%s=%s:%d", m[1], l.BindAddress, port)
		} else if m := upstreamFlag.FindStringSubmatch(s); m != nil {
			port, err := l.port(m[2])
			if err != nil {
				return err
			}
			s = fmt.Sprintf("%s%s:%d%s", m[1], l.BindAddress, port, m[3])
		}
		if flag, value, ok := strings.Cut(s, "="); ok {
			s = flag + "=" + l.image(value)
		}
		args[i] = l.kubeletPath(s)
	}
	for _, p := range asSlice(c["ports"]) {
		pm, _ := p.(map[string]any)
		if port, ok := pm["containerPort"].(int64); ok {
			pm["containerPort"] = l.mapPort(port)
		}
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		for _, kind := range []string{"httpGet", "tcpSocket"} {
			if action, ok := dig(c, probe, kind).(map[string]any); ok {
				action["host"] = l.BindAddress
				if port, ok := action["port"].(int64); ok {
					action["port"] = l.mapPort(port)
				}
			}
		}
	}
	for _, m := range asSlice(c["volumeMounts"]) {
		if mm, ok := m.(map[string]any); ok {
			mm["mountPath"] = l.kubeletPath(mm["mountPath"])
		}
	}
	if main {
		c["env"] = append(asSlice(c["env"]),
			map[string]any{"name": "KUBERNETES_SERVICE_HOST", "value": l.APIServerHost},
			map[string]any{"name": "KUBERNETES_SERVICE_PORT", "value": strconv.Itoa(l.APIServerPort)},
		)
	}
	return nil
}

func (l *Local) patchWebhookConfiguration(o *unstructured.Unstructured) error {
	for _, w := range asSlice(o.Object["webhooks"]) {
		cc, ok := dig(w, "clientConfig").(map[string]any)
		if !ok {
			return fmt.Errorf("a webhook without clientConfig")
		}
		delete(cc, "service")
		cc["url"] = l.WebhookURL
	}
	return nil
}

// image returns the local image for a reference by one of Digests, else ref unchanged.
func (l *Local) image(ref string) string {
	for key, digest := range l.Digests {
		if digest != "" && strings.HasSuffix(ref, "@"+digest) {
			return l.Images[key]
		}
	}
	return ref
}

func (l *Local) port(s string) (int64, error) {
	p, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	local, ok := l.Ports[p]
	if !ok {
		return 0, fmt.Errorf("the chart listens on port %d, which has no local port: add it to Local.Ports", p)
	}
	return local, nil
}

func (l *Local) mapPort(p int64) int64 {
	if local, ok := l.Ports[p]; ok {
		return local
	}
	return p
}

func (l *Local) kubeletPath(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	return kubeletDirIn.ReplaceAllString(s, "${1}"+strings.TrimSuffix(l.KubeletDir, "/")+"${2}")
}

// kubeletDirIn finds productionKubeletDir as a whole path at the start of a path, a flag's value
// or a unix:// URL.
var kubeletDirIn = regexp.MustCompile(`(^|=|//)` + regexp.QuoteMeta(productionKubeletDir) + `(/|$)`)
