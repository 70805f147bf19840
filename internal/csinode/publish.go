// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"syscall"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/atomicdir"
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// maxEventMessage bounds Event messages (the events API caps notes at 1 KiB).
const maxEventMessage = 1024

// publish is the first publish of a volume: fetch → mount and write →
// record. A failure leaves nothing behind (no mount, no directory it
// created); kubelet retries.
func (s *Service) publish(ctx context.Context, v *volume, mounted bool) error {
	c, err := s.fetch(ctx, v)
	if err != nil {
		s.status.useFailed(c.ssi, v.pod, err)
		return err
	}
	created, err := makeTarget(v.target)
	if err != nil {
		return err
	}
	// A target mounted already holds no files (publishOrRefresh): it is
	// filled through a writable view, as a refresh would.
	if _, err := s.writeVolume(v, c.files, !mounted); err != nil {
		if created {
			_ = os.Remove(v.target)
		}
		s.status.useFailed(c.ssi, v.pod, err)
		return err
	}
	now := s.now()
	s.record(volumeState{
		VolumeID: v.id, TargetPath: v.target, Pod: v.pod, ServiceAccount: v.serviceAccount,
		SecretsStoreImport: v.ssiName, GID: v.gid,
		PublishedAt: now, LastAttempt: now, LastSuccess: now, Version: c.version,
	})
	s.status.published(c.ssi, c.version)
	s.inUse.set(v, c.reads)
	s.log.Info("volume published", v.attrs("files", len(c.files), "version", c.version)...)
	return nil
}

// makeTarget creates the target directory if needed.
func makeTarget(target string) (created bool, err error) {
	err = os.Mkdir(target, tmpfsMode)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return false, fmt.Errorf("%w: create target: %w", errMount, err)
	}
	return err == nil, nil
}

// writeVolume makes files the content of the volume, atomically: on a new
// read-only tmpfs (fresh), or through a writable view of the mounted one.
// Unchanged content writes nothing. Errors of the mounter match errMount;
// those of writing are returned as writeFiles classified them.
func (s *Service) writeVolume(v *volume, files []atomicdir.File, fresh bool) (changed bool, err error) {
	var werr error
	fill := func(dir string) error {
		changed, werr = s.writeFiles(v, dir, files)
		return werr
	}
	if fresh {
		err = s.mounter.MountReadOnly(v.target, TmpfsOptions{Size: s.cfg.TmpfsSize, Mode: tmpfsMode, GID: v.gid}, fill)
	} else {
		err = s.mounter.Writable(v.target, fill)
	}
	switch {
	case err == nil:
		return changed, nil
	case werr != nil:
		return changed, werr
	case changed && !fresh:
		// Committed; only removing the writable view failed, and the next
		// update removes it.
		s.log.Warn("removing the writable view after an update failed", v.attrs("error", err)...)
		return true, nil
	}
	return false, fmt.Errorf("%w: %w", errMount, err)
}

// writeFiles writes files into dir, the writable path of the volume.
func (s *Service) writeFiles(v *volume, dir string, files []atomicdir.File) (changed bool, err error) {
	changed, err = atomicdir.Write(dir, files, atomicdir.Options{GID: v.gid, DirMode: dirMode(files)})
	switch {
	case err == nil:
		return changed, nil
	case errors.Is(err, syscall.ENOSPC):
		return changed, fmt.Errorf("%w: the volume (%d KiB) is full: %w: make the secrets smaller or raise csiDriver.volumeSize in the module configuration",
			errTooLarge, s.cfg.TmpfsSize>>10, err)
	case changed:
		// Committed; only the clean-up failed and the next write retries it.
		s.log.Warn("cleaning up after write failed", v.attrs("error", err)...)
		return true, nil
	}
	return false, fmt.Errorf("%w: %w", errWrite, err)
}

// dirMode is the mode of the volume's directories: others may search them
// only when a file lets others read it (mode 0444 or 0404).
func dirMode(files []atomicdir.File) os.FileMode {
	for _, f := range files {
		if f.Mode&0o004 != 0 {
			return 0o755
		}
	}
	return atomicdir.DefaultDirMode
}

// record keeps the volume's state in memory and on disk. A failure to save
// it costs only a refresh after a restart, so it is logged, not returned.
func (s *Service) record(vs volumeState) {
	if err := s.states.put(vs); err != nil {
		s.log.Warn("saving volume state failed", "target", vs.TargetPath, "error", err)
	}
	s.metrics.volumes.Set(float64(s.states.len()))
}

// refresh handles a republish: once the rotation interval has passed since
// the previous attempt, fetch again and write what changed. A failure keeps
// the files, is reported as Events and a metric, and is not returned.
//
// force refreshes at once: the background maintenance read a secret of the
// volume again (see maintainLeases).
func (s *Service) refresh(ctx context.Context, v *volume, prev volumeState, force bool) error {
	now := s.now()
	s.inUse.set(v, nil) // the latest tokens, for a refresh in the background
	// A clock that went back (elapsed < 0) makes the refresh due.
	if elapsed := now.Sub(prev.LastAttempt); !force && !prev.LastAttempt.IsZero() && elapsed >= 0 && elapsed < s.cfg.RotationInterval {
		return nil
	}
	vs := prev
	vs.VolumeID, vs.TargetPath, vs.Pod, vs.ServiceAccount = v.id, v.target, v.pod, v.serviceAccount
	vs.SecretsStoreImport, vs.GID, vs.LastAttempt = v.ssiName, v.gid, now
	if vs.PublishedAt.IsZero() {
		vs.PublishedAt = now
	}
	c, err := s.fetch(ctx, v)
	changed := false
	// The version is an HMAC under this process's key: equal versions are
	// equal content, and a volume published before a restart (no version)
	// is compared file by file.
	if err == nil && (prev.Version == "" || c.version != prev.Version) {
		changed, err = s.writeVolume(v, c.files, false)
	}
	if err != nil {
		vs.Failures++
		s.record(vs)
		s.rotationFailed(v, c.ssi, vs, err)
		s.status.refreshFailed(c.ssi, v.pod, err)
		return nil
	}
	vs.LastSuccess, vs.Failures, vs.Version = now, 0, c.version
	s.record(vs)
	s.inUse.set(v, c.reads)
	s.status.refreshed(c.ssi, c.version, changed)
	result := resultUnchanged
	if changed {
		result = resultUpdated
		s.events.Event(podObject(v.pod), corev1.EventTypeNormal, ReasonRotated,
			fmt.Sprintf("files of volume from SecretsStoreImport %s were refreshed with new content (version %s)", v.ssiName, c.version))
	}
	s.metrics.rotations.WithLabelValues(result).Inc()
	// Every volume is refreshed every interval: only changes are news.
	level := slog.LevelDebug
	if changed {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "volume refreshed", v.attrs("result", result, "version", c.version, "previous_version", prev.Version)...)
	return nil
}

// rotationFailed reports a failed refresh on the pod and, when it was read,
// on the SecretsStoreImport.
func (s *Service) rotationFailed(v *volume, res *ssi.SecretsStoreImport, vs volumeState, err error) {
	s.metrics.rotations.WithLabelValues(resultFailed).Inc()
	s.log.Warn("volume refresh failed, files kept", v.attrs("failures", vs.Failures,
		"last_success", vs.LastSuccess, "error", err)...)
	msg := "refreshing the secret files failed, they keep their last content: " + err.Error()
	s.events.Event(podObject(v.pod), corev1.EventTypeWarning, ReasonRotationFailed, truncate(msg))
	if res != nil {
		s.events.Event(ssiObject(res), corev1.EventTypeWarning, ReasonRotationFailed,
			truncate(fmt.Sprintf("pod %s: %s", v.pod, msg)))
	}
}

func truncate(s string) string { return truncateTo(s, maxEventMessage) }
