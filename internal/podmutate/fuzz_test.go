// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// maxMessage bounds one annotation error: fixed text, two quoted and
// truncated values, a reason and a hint.
const maxMessage = 1200

func FuzzParseAnnotations(f *testing.F) {
	f.Add("myapp-role", "https://h:8200", "ca", "true", "kubernetes_local", "ns/", "kv/data/a,kv/data/b", "false", "10s", "true", "debug", "false", "a b", "x", "y")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", AnnotationPrefix+"rol", "r")
	f.Add("-", "https://u:p@h?q", "Bad_Name", "True", "auth/", "a b", "a,,b", "1", "ten", "yes", "LOUD", "t", "a,b", AnnotationPrefix, "")
	f.Add("r", "http://[::1]:8200/x", "a.b", "false", "/auth/k/", "a", " a ,a", "true", "5m", "false", "error", "true", "\t", "other/key", "v")
	f.Add("r", "https://h", "", "", "", "", "", "", "-1s", "", "", "", "", AnnotationPrefix+"env-from-paths", "x")
	f.Fuzz(func(t *testing.T, role, addr, tlsSecret, skipVerify, authPath, ns, paths, ignore, timeout, probes, level, json, skip, key, val string) {
		a := map[string]string{
			RoleAnnotation: role, AddrAnnotation: addr, TLSSecretAnnotation: tlsSecret,
			TLSSkipVerifyAnnotation: skipVerify, AuthPathAnnotation: authPath, NamespaceAnnotation: ns,
			EnvFromPathAnnotation: paths, IgnoreMissingSecretsAnnotation: ignore, ClientTimeoutAnnotation: timeout,
			MutateProbesAnnotation: probes, LogLevelAnnotation: level, EnableJSONLogAnnotation: json,
			SkipMutateContainersAnnotation: skip,
		}
		if _, known := a[key]; !known {
			a[key] = val
		}
		s, err := ParseAnnotations(a, testDefaults())
		if err != nil {
			checkAnnotationErrors(t, err)
			return
		}
		checkSettings(t, s)
		for name, got := range map[string]bool{
			TLSSkipVerifyAnnotation: s.TLSSkipVerify, IgnoreMissingSecretsAnnotation: s.IgnoreMissingSecrets,
			MutateProbesAnnotation: s.MutateProbes, EnableJSONLogAnnotation: s.JSONLog,
		} {
			if got != (a[name] == "true") {
				t.Errorf("%s=%q gave %v", name, a[name], got)
			}
		}
	})
}

// checkAnnotationErrors checks that every joined error is an
// *AnnotationError that names one of our annotations and stays short.
func checkAnnotationErrors(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ae *AnnotationError
		if !errors.As(e, &ae) {
			t.Fatalf("got %T (%v), want *AnnotationError", e, e)
		}
		msg := e.Error()
		if !strings.HasPrefix(ae.Annotation, AnnotationPrefix) || !strings.HasPrefix(msg, "annotation "+ae.Annotation) {
			t.Errorf("error %q does not name an annotation", msg)
		}
		if len(msg) > maxMessage {
			t.Errorf("error is %d bytes, want at most %d", len(msg), maxMessage)
		}
	}
}

// checkSettings checks the invariants of accepted settings independently of
// the parser's control flow.
func checkSettings(t *testing.T, s Settings) {
	t.Helper()
	var norm string
	switch {
	case s.Role == "" || parseRole(s.Role, new(string)) != nil:
		t.Errorf("accepted role %q", s.Role)
	case s.Addr == "" || func() bool { r, _ := addrProblem(s.Addr); return r != "" }():
		t.Errorf("accepted addr %q", s.Addr)
	case s.TLSSecret != "" && (len(validation.IsDNS1123Subdomain(s.TLSSecret)) > 0 || s.CACert != ""):
		t.Errorf("accepted tls-secret %q with CA %q", s.TLSSecret, s.CACert)
	case parseAuthPath(s.AuthPath, &norm) != nil || norm != s.AuthPath:
		t.Errorf("accepted auth path %q, which is not normalized", s.AuthPath)
	case s.Namespace != "" && secretref.ValidatePath(strings.TrimSuffix(s.Namespace, "/")) != nil:
		t.Errorf("accepted namespace %q", s.Namespace)
	case s.ClientTimeout <= 0 || s.ClientTimeout > MaxClientTimeout:
		t.Errorf("accepted client timeout %v", s.ClientTimeout)
	case !slices.Contains(LogLevels, s.LogLevel):
		t.Errorf("accepted log level %q", s.LogLevel)
	}
	if len(s.EnvFromPath) > 0 {
		back, err := secretref.ParsePathVersionList(secretref.FormatPathVersionList(s.EnvFromPath))
		if err != nil || !reflect.DeepEqual(back, s.EnvFromPath) {
			t.Errorf("accepted env-from-path %q, which does not round-trip: %q, %v", s.EnvFromPath, back, err)
		}
	}
	for _, n := range s.SkipMutateContainers {
		if len(validation.IsDNS1123Label(n)) > 0 {
			t.Errorf("accepted container name %q", n)
		}
	}
}

// FuzzMutate builds pods from fuzz input. Mutate must never panic; an error
// leaves the pod untouched; a result is mutated completely and mutating it
// again changes nothing.
func FuzzMutate(f *testing.F) {
	// Mutated: arch and pull secrets, a skipped init container, three
	// containers with and without a command.
	f.Add("myapp-role", "sidecar", "true", AnnotationPrefix+"env-from-path", "kv/data/a",
		[]byte{0x30, 1, 1, 0, 0x13, 2, 0, 1, 0x04, 2, 3, 0x01, 3, 1, 0x30})
	f.Add("r", "", "false", "x", "y", []byte{0, 0, 0, 0})
	f.Add("r", "b", "true", AnnotationPrefix+"tls-secret", "ca", []byte{0x10, 0, 1, 0, 0, 0x17, 2, 2, 0x41})
	f.Add("r", "app b", "true", AnnotationPrefix+"tls-secret", "ca", []byte{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add("", "", "", "", "", []byte{})
	f.Add("r", "", "", AnnotationPrefix+"rol", "", []byte{0, 1, 2, 0x04, 0, 3, 0x80, 4, 1, 0x08})
	f.Fuzz(func(t *testing.T, role, skip, probes, key, val string, spec []byte) {
		pod := fuzzPod(role, skip, probes, key, val, spec)
		before := pod.DeepCopy()
		m := &Mutator{Defaults: testDefaults(), Images: &fakeResolver{}}
		changed, err := m.Mutate(t.Context(), pod)
		if err != nil || !changed {
			if changed || !equality.Semantic.DeepEqual(pod, before) {
				t.Fatalf("Mutate = %v, %v and modified the pod, want it untouched", changed, err)
			}
			return
		}
		checkMutated(t, pod)
		again := pod.DeepCopy()
		if changed, err := m.Mutate(t.Context(), again); changed || err != nil || !equality.Semantic.DeepEqual(again, pod) {
			t.Fatalf("second Mutate = %v, %v, want false, nil and no change", changed, err)
		}
	})
}

func checkMutated(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != envcontract.InitContainerName {
		t.Fatal("the injector's init container is not first")
	}
	skip := strings.Fields(pod.Annotations[SkipMutateContainersAnnotation])
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers[1:], pod.Spec.Containers} {
		for _, c := range list {
			mutated := len(c.Command) == 1 && c.Command[0] == envcontract.BinaryPath && len(c.Args) > 0
			if mutated == slices.Contains(skip, c.Name) {
				t.Errorf("container %q: mutated = %v with skip list %q", c.Name, mutated, skip)
			}
		}
	}
}

// fuzzPod turns fuzz input into an opted-in pod (when role is set); each
// input byte picks names, images and features from small sets so that
// collisions and reserved names come up often.
func fuzzPod(role, skip, probes, key, val string, spec []byte) *corev1.Pod {
	next := func() byte {
		if len(spec) == 0 {
			return 0
		}
		b := spec[0]
		spec = spec[1:]
		return b
	}
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace = "p", "ns"
	pod.Annotations = map[string]string{
		RoleAnnotation: role, SkipMutateContainersAnnotation: skip, MutateProbesAnnotation: probes, key: val,
	}
	flags := next()
	if flags&1 != 0 {
		pod.Namespace = ""
	}
	if flags&2 != 0 {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: envcontract.VolumeName})
	}
	if flags&4 != 0 {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: envcontract.InitContainerName, Command: initCommand()})
	}
	if flags&8 != 0 {
		pod.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
	}
	if flags&16 != 0 {
		pod.Spec.NodeSelector = map[string]string{corev1.LabelArchStable: "arm64"}
	}
	if flags&32 != 0 {
		pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	}
	for range next() % 3 {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, fuzzContainer(next))
	}
	for range 1 + next()%4 {
		pod.Spec.Containers = append(pod.Spec.Containers, fuzzContainer(next))
	}
	return pod
}

var (
	fuzzNames  = []string{"app", "sidecar", "b", "init", envcontract.InitContainerName, "", "x"}
	fuzzImages = []string{"nginx:1.27", "alpine:3.20", "registry.example.com/team/app:1.0", "scratch.example.com/empty:1", "private:1", ""}
)

func fuzzContainer(next func() byte) corev1.Container {
	c := corev1.Container{
		Name:  fuzzNames[int(next())%len(fuzzNames)],
		Image: fuzzImages[int(next())%len(fuzzImages)],
	}
	f := next()
	if f&1 != 0 {
		c.Command = []string{"run", "$(X)"}
	}
	if f&2 != 0 {
		c.Args = []string{"--a", "$$"}
	}
	if f&4 != 0 {
		c.Env = append(c.Env, corev1.EnvVar{Name: "DB_PASS", Value: "secrets-store:kv/data/a#p"})
	}
	if f&8 != 0 {
		c.Env = append(c.Env, corev1.EnvVar{Name: envcontract.Prefix + "ADDR"})
	}
	if f&16 != 0 {
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"check"}}}}
	}
	if f&32 != 0 {
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/"}}}
	}
	if f&64 != 0 {
		c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{}}}
	}
	if f&128 != 0 {
		c.VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: envcontract.TokenMountPath}}
	}
	return c
}
