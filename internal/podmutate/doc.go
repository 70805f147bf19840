// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package podmutate rewrites a pod that opted into entrypoint injection so that
// every selected container starts the injector, which fetches secrets from the
// store, puts them into the process environment and then executes the original
// command. It works on a typed *corev1.Pod only; the admission handler diffs the
// typed objects into a JSON patch.
//
// # Which pods
//
// A pod is mutated when its secrets-store.deckhouse.io/role annotation is
// non-empty. A pod that already has the injector (the init container
// [envcontract.InitContainerName] running the injector's self-copy, or a CSI
// volume [envcontract.VolumeName] with [envcontract.InjectorVolumeAttribute])
// is returned unchanged, so a re-sent or
// re-invoked pod is never mutated twice. A consequence worth knowing: containers
// that another webhook adds after this one (on reinvocation) are not mutated.
//
// The pod's namespace is read from pod.Namespace. During CREATE admission the
// object may not carry it; the caller copies AdmissionRequest.Namespace into the
// pod before calling [Mutator.Mutate].
//
// # What is added
//
//   - the volume [envcontract.VolumeName] that carries the injector, as the
//     [Settings.Delivery] says (the module's [Defaults.Delivery], or the pod's
//     injector-delivery annotation):
//   - [DeliveryCSIVolume]: a read-only inline volume of the module's CSI driver
//     with [envcontract.InjectorVolumeAttribute]; the node plugin shows the
//     node's one copy of the injector, and nothing else is added for it;
//   - [DeliveryInitContainer]: an in-memory emptyDir and the init container
//     [envcontract.InitContainerName], inserted first, which copies the
//     injector into it with [envcontract.SelfCopyFlag];
//   - a projected ServiceAccount token [envcontract.TokenVolumeName] for the
//     store login, independent of automountServiceAccountToken;
//   - with the tls-secret annotation, a projected volume [envcontract.CAVolumeName]
//     holding that Secret's ca.crt (the webhook never reads the Secret).
//
// The init container (InitContainer delivery) runs as the pod's user: it forces no UID, so the pod's
// securityContext applies, and it copies runAsUser, runAsGroup and
// runAsNonRoot from the own securityContext of the first mutated container
// (containers before init containers), so a pod that sets them per container
// (as Pod Security "restricted" allows) stays admissible. The copied file is
// mode 0755 and therefore executable by any user. Privilege escalation is off,
// all capabilities are dropped, the root filesystem is read-only and the
// seccomp profile is RuntimeDefault.
//
// # Which containers
//
// A container or init container is mutated only if it can need the
// injector: its env holds a reference (any value containing
// "secrets-store:", which covers whole, inline and write references), an env
// entry takes its value from a ConfigMap or Secret, it has any envFrom (the
// webhook never reads those objects, so any of them may hold references), or
// the pod sets env-from-path (every container then gets the imported keys).
// Names in skip-mutate-containers are removed from that set; Istio's
// istio-proxy and istio-init are removed too unless their env holds a
// reference. Fewer wrapped containers mean fewer registry lookups. Init
// containers are included because they often need secrets too (database
// migrations, for example); they run after the injector is copied because it
// is the first one. Names in skip-mutate-containers that match no container
// are not an error: another webhook may add that container later. A pod that
// opted in but has no such container is left unchanged.
//
// A mutated container runs command [envcontract.BinaryPath] with args equal to
// the original argv. When the spec has no command, the image's Entrypoint and
// Cmd come from the [ImageResolver] and Kubernetes' rules are applied: args
// replace Cmd, a command replaces both. Strings taken from the image have every
// "$" doubled, because Kubernetes expands $(VAR) in args but not in the image's
// configuration. A resolver failure refuses the pod: a pod that opted in is
// never admitted unmutated.
//
// # Control variables
//
// All control variables of [envcontract] are appended after the container's own
// env, including those whose value is empty (an empty value means "not set" to
// the injector). Setting every name matters: env entries take precedence over
// envFrom, so a ConfigMap or Secret referenced by envFrom can never supply or
// override a control variable. A container whose env defines a name with the
// reserved prefix [envcontract.Prefix] is refused, so appending (which keeps the
// container's own entries at their indices and the patch small) decides no
// precedence. Our values have every "$" doubled so that Kubernetes' $(VAR)
// expansion leaves them intact.
//
// # Restart modes
//
// restart-on-secret-change (none, watch-for-data, watch-for-lease),
// secret-poll-interval (5s to 24h, default 120s) and the pod's
// terminationGracePeriodSeconds (default 30s) travel to the injector as
// [envcontract.RestartOn], [envcontract.PollInterval] and
// [envcontract.GracePeriod]; service-account-token-path replaces the
// projected token file in [envcontract.TokenFile] (the projected token is
// still mounted), and env-injector-pull-policy sets the init container's
// imagePullPolicy.
//
// # Probes and lifecycle hooks
//
// With mutate-probes set to true, exec probes (liveness, readiness, startup) of
// mutated containers run [envcontract.BinaryPath] [envcontract.ProbeFlag]
// followed by the original command; other probe kinds are unchanged. Lifecycle
// hooks (postStart, preStop) are never wrapped: wrapping would make each hook
// log in to the store, a store outage would then fail postStart (which kills the
// container) or stall preStop until the grace period ends, and pods do not
// expect their shutdown to depend on the store.
//
// # Annotation values
//
// Booleans are what strconv.ParseBool accepts (1, t, T, TRUE, true, True, 0,
// f, F, FALSE, false, False), as the existing Deckhouse module reads them;
// anything else, such as "yes" or "ture", is an error rather than a silently
// chosen default. An empty value of any annotation means
// the default. Every invalid value, and every unknown annotation with the
// secrets-store.deckhouse.io/ prefix (usually a typo), is reported at once in a
// single error built with errors.Join.
package podmutate
