// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// Volume context keys set by kubelet (podInfoOnMount, tokenRequests) and the
// volume attribute a pod sets.
const (
	ctxPodName        = "csi.storage.k8s.io/pod.name"
	ctxPodNamespace   = "csi.storage.k8s.io/pod.namespace"
	ctxPodUID         = "csi.storage.k8s.io/pod.uid"
	ctxServiceAccount = "csi.storage.k8s.io/serviceAccount.name"
	ctxEphemeral      = "csi.storage.k8s.io/ephemeral"
	ctxTokens         = "csi.storage.k8s.io/serviceAccount.tokens" //nolint:gosec // G101: a volume context key, not a credential
	kubeletCtxPrefix  = "csi.storage.k8s.io/"

	// AttrSecretsStoreImport names the SecretsStoreImport of the volume.
	AttrSecretsStoreImport = "secretsStoreImport"
)

// errInvalidArgument marks a malformed request (codes.InvalidArgument).
var errInvalidArgument = errors.New("invalid argument")

// podRef identifies the pod of a volume; from kubelet, hence trusted.
type podRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

func (p podRef) String() string { return p.Namespace + "/" + p.Name }

// volume is a validated NodePublishVolume request.
type volume struct {
	id             string
	target         string
	pod            podRef
	serviceAccount string // "namespace/name"
	ssiName        string
	// injector: the volume shows the injector binary (no SecretsStoreImport).
	injector bool
	// env: the volume opts the pod in to environment delivery by the NRI
	// plugin (no SecretsStoreImport, no files).
	env    bool
	gid    *int64 // the pod's fsGroup, from VolumeMountGroup
	tokens tokens
}

// tokens maps a token audience ("" for the API server's) to the pod's
// ServiceAccount token. It never prints its content.
type tokens map[string]string

func (tokens) String() string               { return "[redacted]" }
func (t tokens) GoString() string           { return t.String() }
func (t tokens) LogValue() slog.Value       { return slog.StringValue(t.String()) }
func (t tokens) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errInvalidArgument}, args...)...)
}

// validatePublish checks a NodePublishVolume request in the order the CSI
// spec's sanity tests expect: volume id, target path, capability, context.
func (s *Service) validatePublish(req *csi.NodePublishVolumeRequest) (*volume, error) {
	v := &volume{id: req.GetVolumeId(), target: req.GetTargetPath()}
	if v.id == "" {
		return nil, invalid("volume id is empty")
	}
	if err := s.validateTarget(v.target); err != nil {
		return nil, err
	}
	gid, err := validateCapability(req.GetVolumeCapability())
	if err != nil {
		return nil, err
	}
	v.gid = gid
	if err := v.readContext(req.GetVolumeContext(), s.cfg.DriverName); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) validateTarget(target string) error {
	if target == "" {
		return invalid("target path is empty")
	}
	if !filepath.IsAbs(target) || filepath.Clean(target) != target {
		return invalid("target path %q is not a clean absolute path", target)
	}
	if s.cfg.KubeletDir != "" {
		pods := filepath.Join(s.cfg.KubeletDir, "pods") + "/"
		if !strings.HasPrefix(target, pods) {
			return invalid("target path %q is not under %s", target, pods)
		}
	}
	return nil
}

// validateCapability accepts a filesystem capability and returns the group
// kubelet asks the files to belong to.
func validateCapability(c *csi.VolumeCapability) (*int64, error) {
	switch {
	case c == nil:
		return nil, invalid("volume capability is missing")
	case c.GetBlock() != nil:
		return nil, invalid("block access is not supported: the volume holds files, use it as a filesystem volume")
	case c.GetMount() == nil:
		return nil, invalid("volume capability has no access type: want a mount (filesystem) volume")
	}
	g := c.GetMount().GetVolumeMountGroup()
	if g == "" {
		return nil, nil
	}
	gid, err := strconv.ParseInt(g, 10, 64)
	if err != nil || gid < 0 || gid > math.MaxInt32 {
		return nil, invalid("volume mount group %q is not a group id", g)
	}
	return &gid, nil
}

// readContext reads what kubelet and the pod put in the volume context.
func (v *volume) readContext(vc map[string]string, driver string) error {
	for k := range vc {
		if k != AttrSecretsStoreImport && k != envcontract.InjectorVolumeAttribute && k != envcontract.EnvVolumeAttribute &&
			!strings.HasPrefix(k, kubeletCtxPrefix) {
			return invalid("unknown volume attribute %q: set %s to the name of a SecretsStoreImport (%s is set by the module's webhook)",
				k, AttrSecretsStoreImport, envcontract.InjectorVolumeAttribute)
		}
	}
	if e, ok := vc[ctxEphemeral]; ok && e != "true" {
		return invalid("the volume is not an inline ephemeral volume: use it as a csi volume in the pod spec")
	}
	for _, k := range []string{ctxPodNamespace, ctxPodName, ctxPodUID, ctxServiceAccount} {
		if vc[k] == "" {
			return invalid("volume context lacks %s: check that the CSIDriver %s has podInfoOnMount: true", k, driver)
		}
	}
	v.pod = podRef{Namespace: vc[ctxPodNamespace], Name: vc[ctxPodName], UID: vc[ctxPodUID]}
	v.serviceAccount = v.pod.Namespace + "/" + vc[ctxServiceAccount]
	v.ssiName = vc[AttrSecretsStoreImport]
	if inj, ok := vc[envcontract.InjectorVolumeAttribute]; ok {
		switch {
		case inj != "true":
			return invalid("volume attribute %s is %q: the only value is \"true\"", envcontract.InjectorVolumeAttribute, inj)
		case v.ssiName != "":
			return invalid("volume attributes %s and %s exclude each other: a volume shows either the files of a SecretsStoreImport or the injector",
				AttrSecretsStoreImport, envcontract.InjectorVolumeAttribute)
		}
		v.injector = true
		return nil
	}
	if e, ok := vc[envcontract.EnvVolumeAttribute]; ok {
		switch {
		case e != "true":
			return invalid("volume attribute %s is %q: the only value is \"true\"", envcontract.EnvVolumeAttribute, e)
		case v.ssiName != "":
			return invalid("volume attributes %s and %s exclude each other: a volume shows either the files of a SecretsStoreImport or opts the pod in to environment delivery",
				AttrSecretsStoreImport, envcontract.EnvVolumeAttribute)
		}
		v.env = true
	}
	if v.ssiName == "" && !v.env {
		return invalid("volume attribute %s is missing: set volumeAttributes.%s to the name of a SecretsStoreImport in namespace %s",
			AttrSecretsStoreImport, AttrSecretsStoreImport, v.pod.Namespace)
	}
	if msgs := validation.IsDNS1123Subdomain(v.ssiName); !v.env && len(msgs) > 0 {
		return invalid("volume attribute %s %q is not a resource name: %s", AttrSecretsStoreImport, v.ssiName, strings.Join(msgs, "; "))
	}
	t, err := parseTokens(vc[ctxTokens])
	if err != nil {
		return invalid("%w: check that the CSIDriver %s has tokenRequests", err, driver)
	}
	v.tokens = t
	return nil
}

// parseTokens reads {"<audience>": {"token": "...", "expirationTimestamp":
// "..."}}. Errors never quote the input: it holds tokens.
func parseTokens(s string) (tokens, error) {
	if s == "" {
		return nil, errors.New("volume context lacks the pod's ServiceAccount token")
	}
	var raw map[string]struct {
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(s), &raw) != nil {
		return nil, errors.New("the pod's ServiceAccount tokens in the volume context are not valid JSON")
	}
	t := make(tokens, len(raw))
	for aud, r := range raw {
		if r.Token != "" {
			t[aud] = r.Token
		}
	}
	if len(t) == 0 {
		return nil, errors.New("volume context holds no ServiceAccount token")
	}
	return t, nil
}

// validateUnpublish checks a NodeUnpublishVolume request.
func (s *Service) validateUnpublish(req *csi.NodeUnpublishVolumeRequest) error {
	if req.GetVolumeId() == "" {
		return invalid("volume id is empty")
	}
	return s.validateTarget(req.GetTargetPath())
}
