// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"

	"github.com/deckhouse/secrets-store-integration/internal/atomicdir"
)

// NodePublishVolume publishes a new volume or refreshes a published one
// (kubelet republishes periodically). Calls for one target are serialized.
func (s *Service) NodePublishVolume(ctx context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	start := time.Now()
	kind := kindNew
	v, err := s.validatePublish(req)
	if err == nil {
		unlock := s.locks.lock(v.target)
		defer unlock()
		switch {
		case v.injector:
			err = s.publishInjector(v)
		case v.env:
			err = s.publishEnv(v)
		default:
			var republish bool
			republish, err = s.publishOrRefresh(ctx, v)
			if republish {
				kind = kindRepublish
			}
		}
	}
	s.metrics.publishDuration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	if err != nil {
		st := statusOf(err)
		s.metrics.publishes.WithLabelValues(resultFailed, st.Code().String()).Inc()
		s.log.Warn("publish failed", "volume_id", req.GetVolumeId(), "target", req.GetTargetPath(),
			"code", st.Code().String(), "error", err)
		return nil, st.Err()
	}
	s.metrics.publishes.WithLabelValues(resultSuccess, codes.OK.String()).Inc()
	return &csi.NodePublishVolumeResponse{}, nil
}

// publishOrRefresh decides between a first publish and a refresh. A target
// that is mounted and holds files is published even when its state was lost:
// a failed refresh must never take files away from a running pod.
func (s *Service) publishOrRefresh(ctx context.Context, v *volume) (republish bool, err error) {
	mounted, err := s.mounter.IsMounted(v.target)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errMount, err)
	}
	prev, known := s.states.get(v.target)
	if mounted && (known || hasFiles(v.target)) {
		if !known {
			s.log.Info("adopting published volume without state", v.attrs()...)
		}
		return true, s.refresh(ctx, v, prev, false)
	}
	return false, s.publish(ctx, v, mounted)
}

func hasFiles(target string) bool {
	_, err := atomicdir.Current(target)
	return err == nil
}

// attrs are the log attributes of a volume: references only.
func (v *volume) attrs(extra ...any) []any {
	return append([]any{
		"volume_id", v.id, "target", v.target, "pod", v.pod.String(),
		"ssi", v.pod.Namespace + "/" + v.ssiName,
	}, extra...)
}

// NodeUnpublishVolume unmounts the tmpfs, removes the target directory and
// forgets the volume. Unpublishing an unknown or already removed target
// succeeds.
func (s *Service) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	if err := s.validateUnpublish(req); err != nil {
		return nil, statusOf(err).Err()
	}
	target := req.GetTargetPath()
	unlock := s.locks.lock(target)
	defer unlock()
	if err := s.unpublish(target); err != nil {
		s.log.Warn("unpublish failed", "volume_id", req.GetVolumeId(), "target", target, "error", err)
		return nil, statusOf(err).Err()
	}
	s.log.Info("volume unpublished", "volume_id", req.GetVolumeId(), "target", target)
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

func (s *Service) unpublish(target string) error {
	if s.env != nil && s.env.ForgetTarget(target) {
		return s.unpublishEnv(target)
	}
	// First: an injector volume is a read-only view of the node's one copy,
	// never to be cleared like a volume's files.
	if inj, err := s.isInjectorMount(target); err != nil || inj {
		if err != nil {
			return err
		}
		return s.unpublishInjector(target)
	}
	if err := s.unmount(target); err != nil {
		return err
	}
	prev, known := s.states.get(target)
	if err := atomicdir.Clear(target); err != nil {
		return fmt.Errorf("%w: %w", errWrite, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove target: %w", errWrite, err)
	}
	err := s.states.drop(target)
	s.inUse.drop(target)
	s.metrics.volumes.Set(float64(s.states.len()))
	if known {
		s.status.mark(ssiKey{prev.Pod.Namespace, prev.SecretsStoreImport}) // one pod fewer
	}
	if err != nil {
		s.log.Warn("forgetting volume state failed", "target", target, "error", err)
	}
	return nil
}

func (s *Service) unmount(target string) error {
	mounted, err := s.mounter.IsMounted(target)
	if err == nil && mounted {
		err = s.mounter.Unmount(target)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errMount, err)
	}
	return nil
}
