// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestValidatePublish(t *testing.T) {
	tests := []struct {
		name    string
		change  func(h *harness, r *csi.NodePublishVolumeRequest)
		message string
	}{
		{"no volume id", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeId = "" }, "volume id is empty"},
		{"no target", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.TargetPath = "" }, "target path is empty"},
		{"relative target", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.TargetPath = "pods/x/mount" }, "is not a clean absolute path"},
		{"unclean target", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.TargetPath += "/../../x" }, "is not a clean absolute path"},
		{"target outside kubelet pods", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.TargetPath = "/etc/secrets" }, "is not under"},
		{"no capability", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeCapability = nil }, "volume capability is missing"},
		{"block", func(_ *harness, r *csi.NodePublishVolumeRequest) {
			r.VolumeCapability.AccessType = &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}
		}, "block access is not supported"},
		{"no access type", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeCapability.AccessType = nil }, "no access type"},
		{"bad mount group", func(_ *harness, r *csi.NodePublishVolumeRequest) {
			r.VolumeCapability.GetMount().VolumeMountGroup = "staff"
		}, `volume mount group "staff" is not a group id`},
		{"negative mount group", func(_ *harness, r *csi.NodePublishVolumeRequest) {
			r.VolumeCapability.GetMount().VolumeMountGroup = "-1"
		}, "is not a group id"},
		{"persistent volume", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeContext[ctxEphemeral] = "false" }, "not an inline ephemeral volume"},
		{"no pod namespace", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxPodNamespace) }, "lacks csi.storage.k8s.io/pod.namespace: check that the CSIDriver secrets-store.csi.deckhouse.io has podInfoOnMount: true"},
		{"no pod name", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxPodName) }, "lacks csi.storage.k8s.io/pod.name"},
		{"no pod uid", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxPodUID) }, "lacks csi.storage.k8s.io/pod.uid"},
		{"no service account", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxServiceAccount) }, "lacks csi.storage.k8s.io/serviceAccount.name"},
		{"no resource", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, AttrSecretsStoreImport) }, "volume attribute secretsStoreImport is missing: set volumeAttributes.secretsStoreImport to the name of a SecretsStoreImport in namespace myapp-namespace"},
		{"bad resource name", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeContext[AttrSecretsStoreImport] = "My_SSI" }, `volume attribute secretsStoreImport "My_SSI" is not a resource name`},
		{"unknown attribute", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeContext["roleName"] = "x" }, `unknown volume attribute "roleName"`},
		{"no tokens", func(_ *harness, r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxTokens) }, "volume context lacks the pod's ServiceAccount token: check that the CSIDriver secrets-store.csi.deckhouse.io has tokenRequests"},
		{"malformed tokens", func(_ *harness, r *csi.NodePublishVolumeRequest) {
			r.VolumeContext[ctxTokens] = `{"": {"token": "` + jwtApp + `"`
		}, "are not valid JSON"},
		{"empty tokens", func(_ *harness, r *csi.NodePublishVolumeRequest) { r.VolumeContext[ctxTokens] = `{"": {"token": ""}}` }, "holds no ServiceAccount token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.request()
			tt.change(h, r)
			err := h.publish(r)
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got %v, want InvalidArgument with %q", err, tt.message)
			}
			if h.store.count("login")+h.store.count("read") != 0 {
				t.Error("an invalid request reached the store")
			}
		})
	}
}

func TestValidateUnpublish(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		req     *csi.NodeUnpublishVolumeRequest
		message string
	}{
		{&csi.NodeUnpublishVolumeRequest{TargetPath: "/x"}, "volume id is empty"},
		{&csi.NodeUnpublishVolumeRequest{VolumeId: "v"}, "target path is empty"},
		{&csi.NodeUnpublishVolumeRequest{VolumeId: "v", TargetPath: "/var/lib/other"}, "is not under"},
	} {
		_, err := h.svc.NodeUnpublishVolume(t.Context(), tt.req)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%+v: got %v, want InvalidArgument with %q", tt.req, err, tt.message)
		}
	}
}

// The tokens never print, whatever verb formats them.
func TestTokensRedacted(t *testing.T) {
	tok := tokens{"": jwtApp}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok), tok.LogValue().String()} {
		checkNoSecrets(t, "formatted tokens", s)
	}
}
