// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package nriplugin delivers secrets as environment variables from inside
// the container runtime: an NRI (Node Resource Interface) plugin, run by the
// CSI node plugin, that resolves a container's references at CreateContainer
// and returns them as environment adjustments. The container's command is
// never rewritten and no image configuration is looked up.
//
// A pod opts in with what the module's webhook adds: an inline volume of
// the module's CSI driver (volume attribute envcontract.EnvVolumeAttribute)
// and the settings annotation (envcontract.NRISettingsAnnotation). kubelet
// publishes the volume before any container of the pod is created and hands
// the driver the pod's ServiceAccount token (the CSIDriver's tokenRequests,
// refreshed by requiresRepublish); the driver keeps it in Pods, in memory
// only, keyed by the pod's UID. At CreateContainer a pod with neither the
// annotation nor a published volume is left alone. A pod with the
// annotation whose token is not known (this process restarted and kubelet
// has not republished the volume yet) has its container refused: kubelet
// retries it, and the republish hands the token over. A container of an
// opted-in pod that carries the webhook's control variables (envcontract.Prefix) is
// resolved by the injector's own code (injector.Resolve: references,
// envFrom values, env-from-path, templates, versions) with the pod's token,
// and its control variables are removed. A container that cannot be
// resolved is refused: the plugin's error fails CreateContainer, kubelet
// reports CreateContainerError and retries, and the container never starts
// with references unresolved. A restarted container is created again, so it
// is resolved again and gets current values.
//
// Resolution is bounded by the runtime's NRI request timeout (2 s by
// default in containerd): a plugin that exceeds it is disconnected and, on
// containerd 2.x, the request then proceeds without it. The plugin answers
// with an error before that deadline instead.
//
// Where the values live: in the container's runtime spec (config.json in
// the runtime's state directory, a tmpfs on the node), readable by node
// root and shown by crictl inspect, as /proc/<pid>/environ shows them in
// the entrypoint mode. They never reach the API server: the pod object,
// events and logs hold references and variable names only.
package nriplugin
