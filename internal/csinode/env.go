// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// The environment volume (volume attribute envcontract.EnvVolumeAttribute)
// opts a pod in to environment delivery by the NRI plugin this process
// runs (package nriplugin). kubelet publishes it before it creates any
// container of the pod, and again periodically (requiresRepublish) with a
// fresh ServiceAccount token: each publish hands the token to the NRI
// plugin, which keeps it in memory only, keyed by the pod's UID, and
// resolves the pod's containers with it at CreateContainer. The volume
// itself is an empty directory that no container needs to mount.
//
// Publishing fails while the NRI plugin is not connected to the container
// runtime: the pod then waits (kubelet reports the error in a FailedMount
// event and retries) instead of starting containers whose references
// nobody would resolve.

// EnvDelivery is the NRI plugin as environment volumes see it.
type EnvDelivery interface {
	// Connected returns nil while the plugin is registered with the
	// container runtime, else why not.
	Connected() error
	// SetPod records (or refreshes) the token of pod uid, whose volume is
	// published at target.
	SetPod(uid, pod, serviceAccount, target, token string)
	// ForgetTarget drops the pod of the volume at target and reports
	// whether there was one.
	ForgetTarget(target string) bool
}

// errNoEnv: this plugin cannot deliver environments (codes.FailedPrecondition).
var errNoEnv = errors.New("no environment delivery")

// publishEnv publishes an environment volume: the token goes to the NRI
// plugin, the target is an empty directory.
func (s *Service) publishEnv(v *volume) error {
	if s.env == nil {
		return fmt.Errorf("%w: the CSI plugin on this node runs without its NRI plugin (no --nri-socket): "+
			"enable the NRI delivery in the module's settings for this node, or remove the pod's annotation secrets-store.deckhouse.io/env-delivery", errNoEnv)
	}
	if err := s.env.Connected(); err != nil {
		return fmt.Errorf("%w: the pod waits, so that no container starts with secret references unresolved: %w; "+
			"check that the container runtime of node %s has NRI enabled (containerd 2.x: [plugins.'io.containerd.nri.v1.nri'] disable = false)",
			errNoEnv, err, s.cfg.NodeID)
	}
	token, ok := v.tokens[s.cfg.TokenAudience]
	if !ok {
		return fmt.Errorf("%w: kubelet sent no token with the module's tokenAudience (%s) for the environment volume: the CSIDriver %s does not request it yet",
			errNoToken, describeAudience(s.cfg.TokenAudience), s.cfg.DriverName)
	}
	if _, err := makeTarget(v.target); err != nil {
		return err
	}
	s.env.SetPod(v.pod.UID, v.pod.String(), v.serviceAccount, v.target, token)
	s.log.Debug("environment volume published", "volume_id", v.id, "target", v.target, "pod", v.pod.String(),
		"attribute", envcontract.EnvVolumeAttribute)
	return nil
}

// unpublishEnv removes the target of an environment volume.
func (s *Service) unpublishEnv(target string) error {
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove target: %w", errWrite, err)
	}
	return nil
}
