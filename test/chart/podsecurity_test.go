// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"
)

// The module namespace is checked by Deckhouse's admission-policy-engine
// (templates/namespace.yaml). The CSI driver's pods are the only ones with a
// SecurityPolicyException; every other pod must pass the restricted Pod
// Security Standard as it is.

const (
	securityPolicyExceptionAPI = "deckhouse.io/v1alpha1/SecurityPolicyException"
	speLabel                   = "security.deckhouse.io/security-policy-exception"
	csiDaemonSet               = "csi-driver"
	csiContainer               = "csi-driver"
	csiPolicyException         = "secrets-store-integration-csi-driver"
)

// podTemplate is a rendered pod template and the workload it belongs to.
type podTemplate struct {
	owner string // "Kind name"
	tmpl  corev1.PodTemplateSpec
}

func podTemplates(objs []object) []podTemplate {
	var out []podTemplate
	for _, o := range objs {
		switch v := o.typed.(type) {
		case *appsv1.Deployment:
			out = append(out, podTemplate{"Deployment " + v.Name, v.Spec.Template})
		case *appsv1.DaemonSet:
			out = append(out, podTemplate{"DaemonSet " + v.Name, v.Spec.Template})
		case *appsv1.StatefulSet:
			out = append(out, podTemplate{"StatefulSet " + v.Name, v.Spec.Template})
		case *batchv1.Job:
			out = append(out, podTemplate{"Job " + v.Name, v.Spec.Template})
		case *corev1.Pod:
			out = append(out, podTemplate{"Pod " + v.Name, corev1.PodTemplateSpec{ObjectMeta: v.ObjectMeta, Spec: v.Spec}})
		}
	}
	return out
}

// renderPolicyAPI renders a case with or without the SecurityPolicyException API
// among the cluster's APIs, whatever the case's own capabilities.
func renderPolicyAPI(t *testing.T, c renderCase, withAPI bool) []object {
	t.Helper()
	caps := capabilities(c.monitoring)
	caps.APIVersions = slices.DeleteFunc(caps.APIVersions, func(v string) bool { return v == securityPolicyExceptionAPI })
	if withAPI {
		caps.APIVersions = append(caps.APIVersions, securityPolicyExceptionAPI)
	}
	values := caseValues(t, c)
	if c.monitoring {
		values = withMonitoringModules(values)
	}
	ms, err := renderCaps(t, values, caps)
	if err != nil {
		t.Fatalf("render %s: %v", c.name, err)
	}
	return decode(t, ms)
}

func TestSecurityPolicyExceptionOnlyWithAPI(t *testing.T) {
	for _, c := range renderCases {
		for _, withAPI := range []bool{false, true} {
			name := c.name + "/without-api"
			if withAPI {
				name = c.name + "/with-api"
			}
			t.Run(name, func(t *testing.T) {
				objs := renderPolicyAPI(t, c, withAPI)
				spes := find[*securityPolicyException](objs)
				if !withAPI {
					if len(spes) != 0 {
						t.Errorf("%d SecurityPolicyExceptions rendered without the API", len(spes))
					}
				} else if len(spes) != 1 || spes[0].Name != csiPolicyException || spes[0].Namespace != moduleNamespace {
					t.Fatalf("SecurityPolicyExceptions %v, want only %s/%s", spes, moduleNamespace, csiPolicyException)
				}
				for _, p := range podTemplates(objs) {
					want := ""
					if withAPI && p.owner == "DaemonSet "+csiDaemonSet {
						want = csiPolicyException
					}
					for k, v := range p.tmpl.Labels {
						if k == speLabel && v != want || strings.HasPrefix(k, speLabel+".") {
							t.Errorf("%s: pod label %s=%s", p.owner, k, v)
						}
					}
					if want != "" && p.tmpl.Labels[speLabel] != want {
						t.Errorf("%s: pod label %s=%q, want %q", p.owner, speLabel, p.tmpl.Labels[speLabel], want)
					}
				}
			})
		}
	}
}

// TestSecurityPolicyExceptionMatchesCSIDaemonSet: the exception allows what the
// plugin container states and the DaemonSet mounts, taken from the rendered
// DaemonSet, and has a description for every allowance.
func TestSecurityPolicyExceptionMatchesCSIDaemonSet(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := renderPolicyAPI(t, c, true)
			spe := one[*securityPolicyException](t, objs, csiPolicyException)
			ds := one[*appsv1.DaemonSet](t, objs, csiDaemonSet)
			spec := ds.Spec.Template.Spec
			i := slices.IndexFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == csiContainer })
			if i < 0 {
				t.Fatalf("DaemonSet %s has no container %s", csiDaemonSet, csiContainer)
			}
			ctr := spec.Containers[i]
			sc := ptr.Deref(ctr.SecurityContext, corev1.SecurityContext{})
			psc := ptr.Deref(spec.SecurityContext, corev1.PodSecurityContext{})
			s := spe.Spec.SecurityContext

			for _, a := range []struct {
				name  string
				spe   *speValue[bool]
				state *bool
			}{
				{"privileged", s.Privileged, sc.Privileged},
				{"allowPrivilegeEscalation", s.AllowPrivilegeEscalation, sc.AllowPrivilegeEscalation},
				{"runAsNonRoot", s.RunAsNonRoot, cmpOr(sc.RunAsNonRoot, psc.RunAsNonRoot)},
			} {
				switch {
				case a.state == nil && a.spe != nil:
					t.Errorf("%s: allowed, but the container does not set it", a.name)
				case a.state != nil && (a.spe == nil || a.spe.AllowedValue == nil || *a.spe.AllowedValue != *a.state):
					t.Errorf("%s: the container sets %v, the exception allows %+v", a.name, *a.state, a.spe)
				}
			}

			var users []int64
			if u := cmpOr(sc.RunAsUser, psc.RunAsUser); u != nil {
				users = []int64{*u}
			}
			if got := valuesOf(s.RunAsUser); !slices.Equal(got, users) {
				t.Errorf("runAsUser: the container runs as %v, the exception allows %v", users, got)
			}

			var seccomp []string
			if p := cmpOr(sc.SeccompProfile, psc.SeccompProfile); p != nil {
				seccomp = []string{string(p.Type)}
			}
			if got := valuesOf(s.SeccompProfile); len(got) != 0 && !slices.Equal(got, seccomp) {
				t.Errorf("seccompProfile: the container has %v, the exception allows %v", seccomp, got)
			}

			var add []string
			if sc.Capabilities != nil {
				for _, c := range sc.Capabilities.Add {
					add = append(add, string(c))
				}
			}
			switch {
			case s.Capabilities == nil && len(add) != 0:
				t.Errorf("capabilities: the container adds %v, the exception allows none", add)
			case s.Capabilities != nil && (s.Capabilities.AllowedValues == nil || !slices.Equal(s.Capabilities.AllowedValues.Add, add)):
				t.Errorf("capabilities: the container adds %v, the exception allows %+v", add, s.Capabilities.AllowedValues)
			}

			// Host paths: every hostPath volume of the pod, read-only where every
			// mount of it is; nothing else.
			var want []speHostPath
			var types []string
			for _, v := range spec.Volumes {
				if v.HostPath == nil {
					continue
				}
				types = append(types, "hostPath")
				readOnly, mounted := true, false
				for _, ctr := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
					for _, m := range ctr.VolumeMounts {
						if m.Name == v.Name {
							mounted = true
							readOnly = readOnly && m.ReadOnly
						}
					}
				}
				if !mounted {
					t.Errorf("hostPath volume %s is not mounted", v.Name)
				}
				want = append(want, speHostPath{Path: v.HostPath.Path, ReadOnly: readOnly})
			}
			var got []speHostPath
			if s := spe.Spec.Volumes.HostPath; s != nil {
				for _, h := range s.AllowedValues {
					if strings.TrimSpace(h.Metadata.Description) == "" {
						t.Errorf("hostPath %s: no description", h.Path)
					}
					got = append(got, speHostPath{Path: h.Path, ReadOnly: h.ReadOnly})
				}
			}
			byPath := func(a, b speHostPath) int { return strings.Compare(a.Path, b.Path) }
			slices.SortFunc(want, byPath)
			slices.SortFunc(got, byPath)
			if !slices.Equal(got, want) {
				t.Errorf("hostPath allowances %+v, want the DaemonSet's hostPath volumes %+v", got, want)
			}
			types = slices.Compact(types)
			if got := valuesOf(spe.Spec.Volumes.Types); !slices.Equal(got, types) {
				t.Errorf("volume types: the exception allows %v, the DaemonSet needs %v beyond the restricted ones", got, types)
			}

			for path, d := range map[string]*speMetadata{
				"privileged":               metadataOf(s.Privileged),
				"allowPrivilegeEscalation": metadataOf(s.AllowPrivilegeEscalation),
				"runAsNonRoot":             metadataOf(s.RunAsNonRoot),
				"runAsUser":                metadataOfValues(s.RunAsUser),
				"seccompProfile":           metadataOfValues(s.SeccompProfile),
				"volumes.types":            metadataOfValues(spe.Spec.Volumes.Types),
			} {
				if d != nil && strings.TrimSpace(d.Description) == "" {
					t.Errorf("%s: no description", path)
				}
			}
		})
	}
}

// restricted and baseline are the latest versions of the Pod Security Standards.
var (
	restricted = api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	baseline   = api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}
)

func newEvaluator(t *testing.T) policy.Evaluator {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestPodsPassRestricted: every pod template but the CSI driver's passes the
// restricted standard, by the evaluator of the Kubernetes PodSecurity admission;
// the CSI driver's does not, so it needs its exception.
func TestPodsPassRestricted(t *testing.T) {
	ev := newEvaluator(t)
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		pods := podTemplates(objs)
		if len(pods) < 2 {
			t.Fatalf("%d pod templates rendered", len(pods))
		}
		for _, p := range pods {
			res := policy.AggregateCheckResults(ev.EvaluatePod(restricted, &p.tmpl.ObjectMeta, &p.tmpl.Spec))
			switch {
			case p.owner == "DaemonSet "+csiDaemonSet && res.Allowed:
				t.Errorf("%s passes the restricted standard: its SecurityPolicyException is no longer needed", p.owner)
			case p.owner != "DaemonSet "+csiDaemonSet && !res.Allowed:
				t.Errorf("%s: not restricted: %s", p.owner, res.ForbiddenDetail())
			}
		}
	})
}

// checkAllowance names the SecurityPolicyException allowance that lifts each Pod
// Security Standards check, for the checks the CSI driver's pods can fail.
var checkAllowance = map[policy.CheckID]string{
	"privileged":                "securityContext.privileged",
	"allowPrivilegeEscalation":  "securityContext.allowPrivilegeEscalation",
	"runAsNonRoot":              "securityContext.runAsNonRoot",
	"runAsUser":                 "securityContext.runAsUser",
	"seccompProfile_baseline":   "securityContext.seccompProfile",
	"seccompProfile_restricted": "securityContext.seccompProfile",
	"capabilities_baseline":     "securityContext.capabilities",
	"capabilities_restricted":   "securityContext.capabilities",
	"hostPathVolumes":           "volumes.hostPath",
	"restrictedVolumes":         "volumes.types",
}

// notExcepted are the restricted checks the CSI driver's pods fail without an
// allowance: a privileged container has every capability and runs without a
// seccomp profile whatever its securityContext says, so it states neither and
// the exception does not pretend otherwise. The baseline standard checks
// neither (unset capabilities and seccomp pass it).
var notExcepted = []policy.CheckID{"capabilities_restricted", "seccompProfile_restricted"}

// failedChecks runs every check of the standards up to level one by one and
// returns the IDs of those the pod fails.
func failedChecks(p podTemplate, level api.Level) []policy.CheckID {
	var ids []policy.CheckID
	for _, c := range policy.DefaultChecks() {
		if level == api.LevelBaseline && c.Level != api.LevelBaseline {
			continue
		}
		v := c.Versions[len(c.Versions)-1]
		if !v.CheckPod(&p.tmpl.ObjectMeta, &p.tmpl.Spec).Allowed {
			ids = append(ids, c.ID)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// TestCSIExceptionCoversItsViolations: every standard check the CSI driver's
// pods fail is lifted by an allowance of its exception (but notExcepted), and
// the exception has no allowance no failed check needs.
func TestCSIExceptionCoversItsViolations(t *testing.T) {
	ev := newEvaluator(t)
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := renderPolicyAPI(t, c, true)
			spe := one[*securityPolicyException](t, objs, csiPolicyException)
			ds := one[*appsv1.DaemonSet](t, objs, csiDaemonSet)
			p := podTemplate{"DaemonSet " + ds.Name, ds.Spec.Template}

			// The one-by-one run agrees with the evaluator.
			if res := policy.AggregateCheckResults(ev.EvaluatePod(baseline, &p.tmpl.ObjectMeta, &p.tmpl.Spec)); res.Allowed != (len(failedChecks(p, api.LevelBaseline)) == 0) {
				t.Fatalf("evaluator allowed=%v, failed checks %v", res.Allowed, failedChecks(p, api.LevelBaseline))
			}

			allowed := allowances(spe)
			needed := map[string]bool{}
			for _, id := range failedChecks(p, api.LevelRestricted) {
				a, known := checkAllowance[id]
				switch {
				case slices.Contains(notExcepted, id):
					if known && allowed[a] {
						t.Errorf("check %s: allowance %s, which a privileged container does not need", id, a)
					}
				case !known:
					t.Errorf("check %s fails and no SecurityPolicyException allowance is known for it", id)
				case !allowed[a]:
					t.Errorf("check %s fails and the exception has no %s", id, a)
				default:
					needed[a] = true
				}
			}
			for _, id := range failedChecks(p, api.LevelBaseline) {
				if slices.Contains(notExcepted, id) {
					t.Errorf("baseline check %s fails without an allowance", id)
				}
			}
			for a := range allowed {
				if !needed[a] {
					t.Errorf("allowance %s lifts no check the pods fail", a)
				}
			}
		})
	}
}

// allowances lists the allowances an exception has, by path under spec.
func allowances(spe *securityPolicyException) map[string]bool {
	s, v := spe.Spec.SecurityContext, spe.Spec.Volumes
	m := map[string]bool{
		"securityContext.privileged":               s.Privileged != nil,
		"securityContext.allowPrivilegeEscalation": s.AllowPrivilegeEscalation != nil,
		"securityContext.runAsNonRoot":             s.RunAsNonRoot != nil,
		"securityContext.runAsUser":                s.RunAsUser != nil,
		"securityContext.seccompProfile":           s.SeccompProfile != nil,
		"securityContext.capabilities":             s.Capabilities != nil,
		"volumes.types":                            v.Types != nil,
		"volumes.hostPath":                         v.HostPath != nil,
	}
	out := map[string]bool{}
	for k, ok := range m {
		if ok {
			out[k] = true
		}
	}
	return out
}

func cmpOr[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

func valuesOf[T any](v *speValues[T]) []T {
	if v == nil {
		return nil
	}
	return v.AllowedValues
}

func metadataOf[T any](v *speValue[T]) *speMetadata {
	if v == nil {
		return nil
	}
	return &v.Metadata
}

func metadataOfValues[T any](v *speValues[T]) *speMetadata {
	if v == nil {
		return nil
	}
	return &v.Metadata
}
