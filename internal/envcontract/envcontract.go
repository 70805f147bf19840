// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package envcontract is the contract between the mutating webhook and the injector: the
// names of the environment variables the webhook sets on a mutated container, the paths it
// mounts, and the injector's command-line shape. Both sides import these names from here and
// nowhere else. It depends on nothing but the standard library (the injector is size-bound).
//
// A mutated container runs
//
//	command: [BinaryPath]
//	args:    [original command..., original args...]
//
// and a wrapped exec probe runs [BinaryPath, ProbeFlag, original probe command...].
// The init container runs [InitBinaryPath, SelfCopyFlag, BinaryPath].
package envcontract

// Control variables. The injector reads them, then removes every variable with Prefix from
// the environment before it executes the application.
const (
	Prefix = "SECRETS_STORE_"

	Addr           = Prefix + "ADDR"            // store URL
	AuthPath       = Prefix + "AUTH_PATH"       // kubernetes auth mount, e.g. kubernetes_local
	Namespace      = Prefix + "NAMESPACE"       // store (Vault) namespace, may be empty
	Role           = Prefix + "ROLE"            // store role
	EnvFromPath    = Prefix + "ENV_FROM_PATH"   // comma-separated paths, later paths win
	IgnoreMissing  = Prefix + "IGNORE_MISSING"  // "true" | "false"
	ClientTimeout  = Prefix + "CLIENT_TIMEOUT"  // Go duration
	LogLevel       = Prefix + "LOG_LEVEL"       // debug | info | warn | error
	JSONLog        = Prefix + "JSON_LOG"        // "true" | "false"
	TLSSkipVerify  = Prefix + "TLS_SKIP_VERIFY" // "true" | "false"
	CACert         = Prefix + "CA_CERT"         // PEM of the module-wide CA (public data)
	CAFile         = Prefix + "CA_FILE"         // CA file from the tls-secret annotation
	TokenFile      = Prefix + "TOKEN_FILE"      // the pod's ServiceAccount token for the store
	ServiceAccount = Prefix + "SERVICE_ACCOUNT" // "namespace/name", for logs and the token cache
	RestartOn      = Prefix + "RESTART_ON"      // none | watch-for-data | watch-for-lease
	PollInterval   = Prefix + "POLL_INTERVAL"   // Go duration, for watch-for-data
	GracePeriod    = Prefix + "GRACE_PERIOD"    // Go duration: SIGTERM to SIGKILL when the injector stops its child
)

// Values of RestartOn (the restart-on-secret-change annotation).
const (
	RestartNone         = "none"
	RestartWatchData    = "watch-for-data"
	RestartWatchLease   = "watch-for-lease"
	DefaultPollInterval = "120s"
)

// Paths and names the webhook adds to a pod.
const (
	// VolumeName is the volume that carries the injector binary: a read-only
	// inline volume of the module's CSI driver with InjectorVolumeAttribute
	// set, or an in-memory emptyDir the init container InitContainerName
	// fills.
	VolumeName = "secrets-store-injector"
	// InjectorVolumeAttribute, set to "true" in the volumeAttributes of a
	// volume of the module's CSI driver, asks the node plugin for the
	// injector binary (read-only, at BinaryName) instead of the files of a
	// SecretsStoreImport.
	InjectorVolumeAttribute = "secrets-store.deckhouse.io/injector"
	// BinaryName is the injector's file name in VolumeName.
	BinaryName = "injector"
	// WatcherBinaryName is the file name of the watcher, next to the
	// injector wherever the injector is (VolumeName, the injector's image):
	// a watch-for-data injector executes it once the environment is
	// resolved (package watcher).
	WatcherBinaryName = "injector-watch"
	// MountPath is where VolumeName is mounted in every mutated container.
	MountPath = "/secrets-store"
	// BinaryPath is the injector inside mutated containers.
	BinaryPath = MountPath + "/" + BinaryName
	// InitContainerName copies the injector into VolumeName.
	InitContainerName = "secrets-store-injector"
	// InitBinaryPath is the injector inside its own image.
	InitBinaryPath = "/injector"
	// TokenVolumeName is a projected ServiceAccount token for the store login, mounted
	// read-only at TokenMountPath (independent of automountServiceAccountToken).
	TokenVolumeName = "secrets-store-token"
	TokenMountPath  = "/var/run/secrets/secrets-store.deckhouse.io/serviceaccount" //nolint:gosec // G101: a mount path, not a credential
	TokenFileName   = "token"
	// CAVolumeName mounts the ca.crt key of the tls-secret annotation's Secret at CAMountPath.
	CAVolumeName = "secrets-store-ca"
	CAMountPath  = "/var/run/secrets/secrets-store.deckhouse.io/ca"
	CAFileName   = "ca.crt"
)

// Flags of the injector binary.
const (
	SelfCopyFlag = "--self-copy" // copy this executable to the path that follows, mode 0755
	ProbeFlag    = "--probe"     // resolve, then exec the probe command that follows
)

// Environment delivery by the node's NRI plugin (no command rewrite).
const (
	// EnvVolumeAttribute, set to "true" in the volumeAttributes of a volume
	// of the module's CSI driver, marks the volume that hands the pod's
	// ServiceAccount token to the node plugin: kubelet passes it at each
	// publish, the plugin keeps it in memory, and its NRI plugin resolves
	// the containers of a pod with NRISettingsAnnotation at CreateContainer.
	// Publishing fails while the NRI plugin is not connected to the
	// container runtime.
	EnvVolumeAttribute = "secrets-store.deckhouse.io/environment"
	// EnvVolumeName is that volume in the pod; it shows an empty directory,
	// mounted read-only in every resolved container (kubelet publishes only
	// volumes that a container mounts).
	EnvVolumeName = "secrets-store-environment"
	// NRISettingsAnnotation holds, on the pod, what the NRI plugin needs:
	// the control variables the webhook would set for the entrypoint
	// injection (JSON {"env": ["SECRETS_STORE_…=…", …], "containers":
	// [names]}). The webhook writes it; the container's environment keeps
	// no control variable, since NRI cannot remove a variable of the
	// container's spec.
	NRISettingsAnnotation = "secrets-store.deckhouse.io/nri-settings"
	// NRIPluginName is the name the NRI plugin registers with, which NRI's
	// required-plugins annotation names.
	NRIPluginName = "secrets-store"
)

// RequiredPluginsAnnotation is NRI's per-container annotation of the
// runtime's default validator: set to ["secrets-store"] (the webhook does),
// it makes the runtime refuse to create the container unless the NRI plugin
// took part, so a container never starts unresolved while the plugin is
// absent. It takes effect where the runtime enables the validator
// (containerd: [plugins.'io.containerd.nri.v1.nri'.default_validator]
// enable = true).
func RequiredPluginsAnnotation(container string) string {
	return "required-plugins.noderesource.dev/container." + container
}
