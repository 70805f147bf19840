// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// The environment delivery by NRI (EnvDeliveryNRI): the pod gets the
// environment volume of the module's CSI driver, mounted read-only in every
// selected container (kubelet publishes only volumes that a container
// mounts, and it publishes them before it creates any container); the
// control settings go into the pod annotation
// envcontract.NRISettingsAnnotation, read by the node's NRI plugin at
// CreateContainer; and each selected container is named in NRI's
// required-plugins annotation, so that a runtime whose default validator is
// on refuses to create it without the plugin. Commands, args, probes and the
// containers' env are left alone: no registry lookup, no init container.

// EnvMountPath is where the environment volume (an empty directory) is
// mounted in every selected container.
const EnvMountPath = "/var/run/secrets-store.deckhouse.io/environment"

// nriSettings is the JSON of envcontract.NRISettingsAnnotation.
type nriSettings struct {
	Env        []string `json:"env"`
	Containers []string `json:"containers"`
}

// checkNRI reports settings that the NRI delivery cannot honor and
// containers that set control variables or use the mount path.
func checkNRI(s Settings, targets []target) error {
	var errs []error
	if s.TLSSecret != "" {
		errs = append(errs, &AnnotationError{
			Annotation: TLSSecretAnnotation, Reason: "cannot be used with env-delivery NRI: the node plugin does not read Secrets",
			Hint: "use the module's CA setting, or env-delivery Entrypoint",
		})
	}
	if s.TokenPath != "" {
		errs = append(errs, &AnnotationError{
			Annotation: ServiceAccountTokenPathAnnotation,
			Reason: "cannot be used with env-delivery NRI: the node plugin logs in with the pod's ServiceAccount token " +
				"that kubelet hands it (audience: the module's tokenAudience), never with a file inside the container",
			Hint: "remove the annotation and let the store's role accept the module's token audience, or use env-delivery Entrypoint",
		})
	}
	if s.RestartOn != envcontract.RestartNone {
		errs = append(errs, &AnnotationError{
			Annotation: RestartOnSecretChangeAnnotation, Reason: "cannot be used with env-delivery NRI: watch modes need the injector as the container's first process",
			Hint: "use env-delivery Entrypoint, or none",
		})
	}
	for _, t := range targets {
		errs = append(errs, checkContainer(t.c)...)
		for _, vm := range t.c.VolumeMounts {
			if vm.MountPath == EnvMountPath {
				errs = append(errs, fmt.Errorf("container %q mounts volume %q at %s, which is reserved for the secrets-store environment volume: mount it elsewhere",
					t.c.Name, vm.Name, vm.MountPath))
			}
		}
	}
	return errors.Join(errs...)
}

// applyNRI changes the pod for the NRI delivery; checkNRI has passed.
func applyNRI(pod *corev1.Pod, s Settings, d Defaults, targets []target) {
	readOnly := true
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
		Name: envcontract.EnvVolumeName,
		VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver:           d.CSIDriver,
			ReadOnly:         &readOnly,
			VolumeAttributes: map[string]string{envcontract.EnvVolumeAttribute: "true"},
		}},
	})
	st := nriSettings{Containers: make([]string, 0, len(targets))}
	for _, v := range controlVars(pod, s) {
		switch v[0] {
		case envcontract.TokenFile, envcontract.CAFile:
			continue // the node plugin has the token from kubelet; no CA file
		}
		st.Env = append(st.Env, v[0]+"="+v[1])
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	for _, t := range targets {
		t.c.VolumeMounts = append(slices.Clip(t.c.VolumeMounts),
			corev1.VolumeMount{Name: envcontract.EnvVolumeName, MountPath: EnvMountPath, ReadOnly: true})
		st.Containers = append(st.Containers, t.c.Name)
		pod.Annotations[envcontract.RequiredPluginsAnnotation(t.c.Name)] = `["` + envcontract.NRIPluginName + `"]`
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	pod.Annotations[envcontract.NRISettingsAnnotation] = string(b)
}

// isEnvCSIVolume reports whether v is an environment volume.
func isEnvCSIVolume(v *corev1.Volume) bool {
	return v.Name == envcontract.EnvVolumeName && v.CSI != nil && v.CSI.VolumeAttributes[envcontract.EnvVolumeAttribute] == "true"
}
