// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Status of SecretsStoreImports
//
// Each node keeps its part of the status of every SecretsStoreImport its
// volumes use: how many pods use it here, the result of the last refresh,
// when new content was last written, and the verdict of the first use of
// each generation (Valid). A change marks the resource; marks are gathered
// for Config.StatusDelay and then written once per resource, so a hundred
// pods starting together cost one write per node, and a refresh that changes
// nothing costs none. Steady state writes nothing.

const (
	// staleNodeAge: an entry of another node unchanged for this long is
	// dropped when that node no longer exists.
	staleNodeAge = 10 * time.Minute
	// statusRetry is the delay before a failed write is tried again.
	statusRetry = 10 * time.Second
	// maxRotationError bounds a node's error in the status.
	maxRotationError = 512
	// maxNodesInMessage bounds the nodes named by the UpToDate condition.
	maxNodesInMessage = 3
)

// ssiKey names a SecretsStoreImport.
type ssiKey struct{ namespace, name string }

func (k ssiKey) String() string { return k.namespace + "/" + k.name }

// verdict is what one use found about a generation of a resource.
type verdict struct {
	generation int64
	ok         bool
	reason     string
	message    string
}

// nodePart is this node's knowledge of one resource.
type nodePart struct {
	verdict      *verdict
	version      string    // content version last written here
	lastRotation time.Time // when new content was last written here
	rotationErr  string    // the last refresh's error; "" when it succeeded
}

// NodeChecker tells whether a node still exists.
type NodeChecker func(ctx context.Context, name string) (bool, error)

// statusReporter keeps this node's parts and writes them. A nil reporter
// (no StatusUpdater) reports nothing.
type statusReporter struct {
	node   string
	upd    ssi.StatusUpdater
	exists NodeChecker
	pods   func(ssiKey) int
	now    func() time.Time
	delay  time.Duration
	log    *slog.Logger
	writes func(result string)

	mu    sync.Mutex
	parts map[ssiKey]*nodePart
	dirty map[ssiKey]struct{}
	wake  chan struct{}
}

func newStatusReporter(node string, upd ssi.StatusUpdater, exists NodeChecker, pods func(ssiKey) int,
	now func() time.Time, delay time.Duration, log *slog.Logger, writes func(string),
) *statusReporter {
	if upd == nil {
		return nil
	}
	return &statusReporter{
		node: node, upd: upd, exists: exists, pods: pods, now: now, delay: delay, log: log, writes: writes,
		parts: make(map[ssiKey]*nodePart), dirty: make(map[ssiKey]struct{}), wake: make(chan struct{}, 1),
	}
}

// part returns the part of k; r.mu is held.
func (r *statusReporter) part(k ssiKey) *nodePart {
	p := r.parts[k]
	if p == nil {
		p = &nodePart{}
		r.parts[k] = p
	}
	return p
}

// markLocked queues a write of k; r.mu is held.
func (r *statusReporter) markLocked(k ssiKey) {
	r.dirty[k] = struct{}{}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// mark queues a write of k (its pod count changed).
func (r *statusReporter) mark(k ssiKey) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.markLocked(k)
}

// published: a first publish of a volume of res succeeded.
func (r *statusReporter) published(res *ssi.SecretsStoreImport, version string) {
	if r == nil {
		return
	}
	k := ssiKey{res.Namespace, res.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.part(k)
	p.verdict = readVerdict(res)
	if p.version == "" {
		p.version = version
	}
	r.markLocked(k) // one more pod
}

// useFailed: a first publish of a volume of res failed with err; res is nil
// when the resource could not be read.
func (r *statusReporter) useFailed(res *ssi.SecretsStoreImport, pod podRef, err error) {
	if r == nil || res == nil {
		return
	}
	reason := validReason(err)
	if reason == "" {
		return // not about the resource: the store or the node failed
	}
	k := ssiKey{res.Namespace, res.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setVerdict(k, &verdict{
		generation: res.Generation, reason: reason,
		message: truncate(fmt.Sprintf("the volume of pod %s failed: %v", pod, err)),
	})
}

// setVerdict records v when it says something new; r.mu is held.
func (r *statusReporter) setVerdict(k ssiKey, v *verdict) {
	p := r.part(k)
	if old := p.verdict; old != nil && old.generation == v.generation && old.ok == v.ok && old.reason == v.reason {
		return
	}
	p.verdict = v
	r.markLocked(k)
}

// refreshed: a refresh of a volume of res succeeded; changed says whether
// new content was written.
func (r *statusReporter) refreshed(res *ssi.SecretsStoreImport, version string, changed bool) {
	if r == nil || res == nil {
		return
	}
	k := ssiKey{res.Namespace, res.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.part(k)
	if p.rotationErr != "" {
		p.rotationErr = ""
		r.markLocked(k)
	}
	// Volumes of one resource on a node hold the same content: the first
	// one to take a new version is the node's rotation.
	if changed && version != p.version {
		p.lastRotation = r.now()
		r.markLocked(k)
	}
	p.version = version
	if p.verdict == nil || p.verdict.generation != res.Generation {
		r.setVerdict(k, readVerdict(res))
	}
}

// refreshFailed: a refresh of a volume of res failed; the files were kept.
func (r *statusReporter) refreshFailed(res *ssi.SecretsStoreImport, pod podRef, err error) {
	if r == nil || res == nil {
		return
	}
	k := ssiKey{res.Namespace, res.Name}
	msg := truncateTo(err.Error(), maxRotationError)
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.part(k)
	if p.rotationErr != msg {
		p.rotationErr = msg
		r.markLocked(k)
	}
	if reason := validReason(err); reason != "" && (p.verdict == nil || p.verdict.generation != res.Generation) {
		r.setVerdict(k, &verdict{
			generation: res.Generation, reason: reason,
			message: truncate(fmt.Sprintf("the volume of pod %s failed: %v", pod, err)),
		})
	}
}

// readVerdict is the verdict of a use of res that read every path.
func readVerdict(res *ssi.SecretsStoreImport) *verdict {
	return &verdict{
		generation: res.Generation, ok: true, reason: ssi.ReasonRead,
		message: fmt.Sprintf("a pod's volume logged in with role %q and read every path of generation %d", res.Spec.Role, res.Generation),
	}
}

// validReason is the reason of a Valid=False verdict for err, or "" when
// err says nothing about the resource (the store is down, a mount failed).
func validReason(err error) string {
	type rule struct {
		sentinels []error
		reason    string
	}
	rules := []rule{
		{[]error{store.ErrUnavailable, errAPI, errMount, errWrite, context.Canceled, context.DeadlineExceeded}, ""},
		{[]error{ssi.ErrInvalid}, ssi.ReasonInvalidSpec},
		{[]error{errNoToken}, ssi.ReasonAudienceNotAllowed},
		{[]error{errConnection, store.ErrTLS, store.ErrInvalid, store.ErrVersionUnsupported}, ssi.ReasonInvalidConnection},
		{[]error{store.ErrLogin}, ssi.ReasonLoginFailed},
		{[]error{store.ErrPermissionDenied}, ssi.ReasonPermissionDenied},
		{[]error{store.ErrNotFound, store.ErrKeyNotFound, store.ErrVersionDeleted, store.ErrVersionDestroyed}, ssi.ReasonSecretNotFound},
		{[]error{errDecode}, ssi.ReasonInvalidData},
		{[]error{errTooLarge}, ssi.ReasonTooLarge},
	}
	for _, rl := range rules {
		for _, s := range rl.sentinels {
			if errors.Is(err, s) {
				return rl.reason
			}
		}
	}
	return ""
}

// run writes marked resources until ctx ends: it waits for a mark, gathers
// more for the delay, then writes each marked resource once.
func (r *statusReporter) run(ctx context.Context) error {
	if r == nil {
		<-ctx.Done()
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		}
		if r.delay > 0 {
			t := time.NewTimer(r.delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		r.flush(ctx)
	}
}

// flush writes every marked resource once. A failed write is marked again
// after statusRetry.
func (r *statusReporter) flush(ctx context.Context) {
	r.mu.Lock()
	keys := make([]ssiKey, 0, len(r.dirty))
	for k := range r.dirty {
		keys = append(keys, k)
	}
	clear(r.dirty)
	r.mu.Unlock()
	for _, k := range keys {
		if ctx.Err() != nil {
			return
		}
		if err := r.write(ctx, k); err != nil {
			r.log.Warn("writing the status of a SecretsStoreImport failed, retrying", "ssi", k.String(), "error", err)
			time.AfterFunc(statusRetry, func() { r.mark(k) })
		}
	}
}

// write puts this node's part of k into its status.
func (r *statusReporter) write(ctx context.Context, k ssiKey) error {
	r.mu.Lock()
	var part nodePart
	if p := r.parts[k]; p != nil {
		part = *p
	}
	r.mu.Unlock()
	pods := r.pods(k)
	checked := map[string]bool{} // nodes known gone, within this write
	wrote, err := r.upd.UpdateStatus(ctx, k.namespace, k.name, func(res *ssi.SecretsStoreImport) bool {
		return r.apply(ctx, res, part, pods, checked)
	})
	switch {
	case errors.Is(err, ssi.ErrNotFound):
		r.forget(k, pods)
		return nil
	case err != nil:
		r.writes(resultFailed)
		return err
	case wrote:
		r.writes(resultUpdated)
	default:
		r.writes(resultUnchanged)
	}
	if pods == 0 {
		r.forget(k, 0)
	}
	return nil
}

// forget drops the part of a resource no pod here uses any longer.
func (r *statusReporter) forget(k ssiKey, pods int) {
	if pods > 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, again := r.dirty[k]; !again {
		delete(r.parts, k)
	}
}

// apply changes res's status to hold part (with pods pods on this node) and
// reports whether anything changed.
func (r *statusReporter) apply(ctx context.Context, res *ssi.SecretsStoreImport, part nodePart, pods int, gone map[string]bool) bool {
	old := res.Status
	old.Conditions = slices.Clone(old.Conditions)
	old.Nodes = slices.Clone(old.Nodes)
	st := &res.Status
	now := metav1.NewTime(r.now().Truncate(time.Second))

	nodes := make([]ssi.NodeStatus, 0, len(st.Nodes)+1)
	var mine *ssi.NodeStatus
	for _, n := range st.Nodes {
		switch {
		case n.Name == r.node:
			mine = &n
			continue
		case r.stale(ctx, n, now.Time, gone):
			r.log.Info("dropping the status entry of a node that no longer exists", "ssi", res.Ref(), "node", n.Name)
			continue
		}
		nodes = append(nodes, n)
	}
	if pods > 0 {
		e := ssi.NodeStatus{Name: r.node, Pods: pods, RotationError: part.rotationErr}
		if mine != nil {
			e.LastRotationTime, e.LastUpdateTime = mine.LastRotationTime, mine.LastUpdateTime
		}
		if !part.lastRotation.IsZero() && (e.LastRotationTime == nil || part.lastRotation.After(e.LastRotationTime.Time)) {
			t := metav1.NewTime(part.lastRotation.Truncate(time.Second))
			e.LastRotationTime = &t
		}
		if mine == nil || e.Pods != mine.Pods || e.RotationError != mine.RotationError || !equality.Semantic.DeepEqual(e.LastRotationTime, mine.LastRotationTime) {
			e.LastUpdateTime = now
		}
		nodes = append(nodes, e)
	}
	slices.SortFunc(nodes, func(a, b ssi.NodeStatus) int { return strings.Compare(a.Name, b.Name) })
	st.Nodes = nodes

	st.Pods = 0
	var failing []string
	for _, n := range nodes {
		st.Pods += n.Pods
		if n.LastRotationTime != nil && (st.LastRotationTime == nil || n.LastRotationTime.After(st.LastRotationTime.Time)) {
			st.LastRotationTime = n.LastRotationTime.DeepCopy()
		}
		if n.RotationError != "" {
			failing = append(failing, n.Name+": "+n.RotationError)
		}
	}
	switch {
	case len(failing) > 0:
		named := failing[:min(len(failing), maxNodesInMessage)]
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: ssi.CondUpToDate, Status: metav1.ConditionFalse, Reason: ssi.ReasonRotationFailed, LastTransitionTime: now,
			Message: truncate(fmt.Sprintf("the last refresh failed on %d of %d nodes, whose pods keep their last files; %s",
				len(failing), len(nodes), strings.Join(named, "; "))),
		})
	case len(nodes) > 0:
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: ssi.CondUpToDate, Status: metav1.ConditionTrue, Reason: ssi.ReasonRotated, LastTransitionTime: now,
			Message: fmt.Sprintf("the last refresh succeeded on every node with pods using it (%d)", len(nodes)),
		})
	default:
		meta.RemoveStatusCondition(&st.Conditions, ssi.CondUpToDate)
	}
	if v := part.verdict; v != nil && v.generation == res.Generation {
		setValid(st, v, now)
	}
	return !equality.Semantic.DeepEqual(old, res.Status)
}

// setValid puts v into the Valid condition unless the condition already
// says the same of the same generation; its message is then kept, so that
// pods of many nodes agreeing do not rewrite it.
func setValid(st *ssi.Status, v *verdict, now metav1.Time) {
	status := metav1.ConditionFalse
	if v.ok {
		status = metav1.ConditionTrue
	}
	if c := meta.FindStatusCondition(st.Conditions, ssi.CondValid); c != nil &&
		c.ObservedGeneration == v.generation && c.Status == status && c.Reason == v.reason {
		return
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: ssi.CondValid, Status: status, Reason: v.reason, Message: v.message,
		ObservedGeneration: v.generation, LastTransitionTime: now,
	})
}

// stale reports whether n is another node's entry, unchanged for
// staleNodeAge, of a node that no longer exists. A failed check keeps the
// entry.
func (r *statusReporter) stale(ctx context.Context, n ssi.NodeStatus, now time.Time, gone map[string]bool) bool {
	if r.exists == nil || now.Sub(n.LastUpdateTime.Time) < staleNodeAge {
		return false
	}
	if g, ok := gone[n.Name]; ok {
		return g
	}
	ok, err := r.exists(ctx, n.Name)
	if err != nil {
		r.log.Warn("checking whether a node exists failed", "node", n.Name, "error", err)
		return false
	}
	gone[n.Name] = !ok
	return !ok
}

// resync marks every resource whose status has an entry of this node, so
// that entries of pods that went away while the plugin was down are
// corrected, and every resource the node's volumes use.
func (r *statusReporter) resync(each func(func(*ssi.SecretsStoreImport)), used []ssiKey) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range used {
		r.markLocked(k)
	}
	each(func(res *ssi.SecretsStoreImport) {
		if slices.ContainsFunc(res.Status.Nodes, func(n ssi.NodeStatus) bool { return n.Name == r.node }) {
			r.markLocked(ssiKey{res.Namespace, res.Name})
		}
	})
}

func truncateTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
