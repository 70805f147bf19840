// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// TLSSecretKey is the key of the tls-secret annotation's Secret that holds
// the store CA in PEM.
const TLSSecretKey = "ca.crt"

// injectorVolumeSize bounds the in-memory volume; the injector is at most
// 9,000,000 bytes.
var injectorVolumeSize = resource.MustParse("64Mi")

// apply changes the pod; plan has checked everything, so it cannot fail.
func apply(pod *corev1.Pod, s Settings, d Defaults, targets []target) {
	spec := &pod.Spec
	csiVolume := s.Delivery == DeliveryCSIVolume
	if csiVolume {
		spec.Volumes = append(spec.Volumes, injectorCSIVolume(d.CSIDriver), tokenVolume(d))
	} else {
		spec.Volumes = append(spec.Volumes, injectorVolume(), tokenVolume(d))
	}
	mounts := []corev1.VolumeMount{
		{Name: envcontract.VolumeName, MountPath: envcontract.MountPath, ReadOnly: true},
		{Name: envcontract.TokenVolumeName, MountPath: envcontract.TokenMountPath, ReadOnly: true},
	}
	if s.TLSSecret != "" {
		spec.Volumes = append(spec.Volumes, caVolume(s.TLSSecret))
		mounts = append(mounts, corev1.VolumeMount{Name: envcontract.CAVolumeName, MountPath: envcontract.CAMountPath, ReadOnly: true})
	}
	env := controlEnv(pod, s)
	for _, t := range targets {
		c := t.c
		c.Command = []string{envcontract.BinaryPath}
		c.Args = t.argv
		c.VolumeMounts = append(slices.Clip(c.VolumeMounts), mounts...)
		c.Env = append(slices.Clip(c.Env), env...)
		if s.MutateProbes {
			wrapProbe(c.LivenessProbe)
			wrapProbe(c.ReadinessProbe)
			wrapProbe(c.StartupProbe)
		}
	}
	if csiVolume {
		return
	}
	init := initContainer(d, identity(targets))
	if s.PullPolicy != "" {
		init.ImagePullPolicy = s.PullPolicy
	}
	// Inserted last: targets point into spec.InitContainers, which the
	// insertion moves.
	spec.InitContainers = slices.Insert(spec.InitContainers, 0, init)
}

// injectorVolume is the in-memory emptyDir the init container fills.
func injectorVolume() corev1.Volume {
	size := injectorVolumeSize.DeepCopy()
	return corev1.Volume{
		Name: envcontract.VolumeName,
		VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size},
		},
	}
}

// injectorCSIVolume is the read-only volume of the module's CSI driver that
// holds the injector binary. The node plugin bind-mounts one copy per node,
// so a pod costs no memory and starts no extra container for it.
func injectorCSIVolume(driver string) corev1.Volume {
	readOnly := true
	return corev1.Volume{
		Name: envcontract.VolumeName,
		VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver:           driver,
			ReadOnly:         &readOnly,
			VolumeAttributes: map[string]string{envcontract.InjectorVolumeAttribute: "true"},
		}},
	}
}

// isInjectorCSIVolume reports whether v is an injector volume of any CSI
// driver (the driver's name is the module's choice, not the pod's).
func isInjectorCSIVolume(v *corev1.Volume) bool {
	return v.Name == envcontract.VolumeName && v.CSI != nil && v.CSI.VolumeAttributes[envcontract.InjectorVolumeAttribute] == "true"
}

// tokenVolume is a ServiceAccount token of its own for the store, so that
// injection works with automountServiceAccountToken: false and the audience
// can differ from the API server's.
func tokenVolume(d Defaults) corev1.Volume {
	exp := d.tokenExpiration()
	return corev1.Volume{
		Name: envcontract.TokenVolumeName,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience:          d.TokenAudience,
				ExpirationSeconds: &exp,
				Path:              envcontract.TokenFileName,
			}}},
		}},
	}
}

// caVolume projects only the CA key of the Secret: the webhook never reads
// Secrets, and other keys of the Secret stay out of the container.
func caVolume(secret string) corev1.Volume {
	return corev1.Volume{
		Name: envcontract.CAVolumeName,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: secret},
				Items:                []corev1.KeyToPath{{Key: TLSSecretKey, Path: envcontract.CAFileName}},
			}}},
		}},
	}
}

func initCommand() []string {
	return []string{envcontract.InitBinaryPath, envcontract.SelfCopyFlag, envcontract.BinaryPath}
}

// initContainer copies the injector. It runs as the user the pod's
// securityContext and ids (see identity) select; it needs no privilege.
func initContainer(d Defaults, ids *corev1.SecurityContext) corev1.Container {
	no, yes := false, true
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem:   &yes,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if ids != nil {
		sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = ids.RunAsUser, ids.RunAsGroup, ids.RunAsNonRoot
	}
	return corev1.Container{
		Name:                     envcontract.InitContainerName,
		Image:                    d.InjectorImage,
		ImagePullPolicy:          d.InjectorPullPolicy,
		Command:                  initCommand(),
		Resources:                *d.InitResources.DeepCopy(),
		VolumeMounts:             []corev1.VolumeMount{{Name: envcontract.VolumeName, MountPath: envcontract.MountPath}},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          sc,
	}
}

// identity returns copies of runAsUser, runAsGroup and runAsNonRoot from the
// securityContext of the first mutated container (containers before init
// containers), or nil when it sets none: the pod-level values then apply.
func identity(targets []target) *corev1.SecurityContext {
	first := -1
	for i, t := range targets {
		if !t.init {
			first = i
			break
		}
	}
	if first < 0 {
		first = 0
	}
	sc := targets[first].c.SecurityContext
	if sc == nil || sc.RunAsUser == nil && sc.RunAsGroup == nil && sc.RunAsNonRoot == nil {
		return nil
	}
	return &corev1.SecurityContext{
		RunAsUser:    copyPtr(sc.RunAsUser),
		RunAsGroup:   copyPtr(sc.RunAsGroup),
		RunAsNonRoot: copyPtr(sc.RunAsNonRoot),
	}
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// controlEnv returns every control variable, set or empty (see the package
// comment for why empty ones are listed too).
func controlEnv(pod *corev1.Pod, s Settings) []corev1.EnvVar {
	vars := controlVars(pod, s)
	env := make([]corev1.EnvVar, len(vars))
	for i, v := range vars {
		env[i] = corev1.EnvVar{Name: v[0], Value: escape(v[1])}
	}
	return env
}

// controlVars are the control variables' names and values, unescaped.
func controlVars(pod *corev1.Pod, s Settings) [][2]string {
	caFile := ""
	if s.TLSSecret != "" {
		caFile = envcontract.CAMountPath + "/" + envcontract.CAFileName
	}
	tokenFile := envcontract.TokenMountPath + "/" + envcontract.TokenFileName
	if s.TokenPath != "" {
		tokenFile = s.TokenPath
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = pod.Spec.DeprecatedServiceAccount
	}
	if sa == "" {
		sa = "default"
	}
	vars := [...][2]string{
		{envcontract.Addr, s.Addr},
		{envcontract.AuthPath, s.AuthPath},
		{envcontract.Namespace, s.Namespace},
		{envcontract.Role, s.Role},
		{envcontract.EnvFromPath, secretref.FormatPathVersionList(s.EnvFromPath)},
		{envcontract.IgnoreMissing, strconv.FormatBool(s.IgnoreMissingSecrets)},
		{envcontract.ClientTimeout, s.ClientTimeout.String()},
		{envcontract.LogLevel, s.LogLevel},
		{envcontract.JSONLog, strconv.FormatBool(s.JSONLog)},
		{envcontract.TLSSkipVerify, strconv.FormatBool(s.TLSSkipVerify)},
		{envcontract.CACert, s.CACert},
		{envcontract.CAFile, caFile},
		{envcontract.TokenFile, tokenFile},
		{envcontract.ServiceAccount, pod.Namespace + "/" + sa},
		{envcontract.RestartOn, s.RestartOn},
		{envcontract.PollInterval, s.PollInterval.String()},
		{envcontract.GracePeriod, gracePeriod(pod).String()},
	}
	return vars[:]
}

// wrapProbe makes an exec probe run through the injector. An exec probe
// without a command is left for API validation to reject.
func wrapProbe(p *corev1.Probe) {
	if p == nil || p.Exec == nil || len(p.Exec.Command) == 0 {
		return
	}
	p.Exec.Command = concat([]string{envcontract.BinaryPath, envcontract.ProbeFlag}, p.Exec.Command)
}

// gracePeriod is how long the injector of a watch mode waits between SIGTERM
// and SIGKILL when it stops the application: the pod's own
// terminationGracePeriodSeconds, 30s when unset (the API server's default).
func gracePeriod(pod *corev1.Pod) time.Duration {
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil && *g >= 0 {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}
