// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Condition types and reasons of the status.
const (
	CondReady  = "Ready"
	CondSynced = "Synced"

	ReasonSynced             = "Synced"
	ReasonSecretReady        = "SecretReady"
	ReasonNotSynced          = "NotSynced"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonInvalidData        = "InvalidData"
	ReasonStoreError         = "StoreError"
	ReasonSecretNotOwned     = "SecretNotOwned"
	ReasonSecretNotUpdatable = "SecretNotUpdatable"
	ReasonTokenRequestFailed = "TokenRequestFailed"
	ReasonAudienceNotAllowed = "AudienceNotAllowed"
	ReasonKubernetesError    = "KubernetesError"
)

// reasonOf maps a failure to the reason of the Synced condition.
func reasonOf(err error) string {
	var se *store.Error
	switch {
	case errors.Is(err, errInvalidSpec), errors.Is(err, storeconn.ErrSettings):
		return ReasonInvalidSpec
	case errors.Is(err, errTokenRequest):
		return ReasonTokenRequestFailed // wrapped in a store login error: checked first
	case errors.Is(err, errAudience):
		return ReasonAudienceNotAllowed
	case errors.Is(err, errNotOwned):
		return ReasonSecretNotOwned
	case errors.Is(err, errNotUpdatable):
		return ReasonSecretNotUpdatable
	case errors.Is(err, errInvalidData):
		return ReasonInvalidData
	case errors.As(err, &se):
		return ReasonStoreError
	}
	return ReasonKubernetesError
}

// outcome is what one reconcile found.
type outcome struct {
	err          error     // nil: synced
	hmac         string    // of the data written (on success)
	secretExists bool      // an owned Secret exists after the reconcile
	due          time.Time // when the reads used must be refreshed (on success)
	wrote        string    // the Secret write done: opCreate, opUpdate or ""
	keys         int       // keys of the Secret written
}

// nextStatus is res's status after o. Conditions keep their transition
// times while their status does not change.
func nextStatus(res *SecretsStoreSync, o outcome, now time.Time) Status {
	st := res.Status
	st.Conditions = slices.Clone(st.Conditions)
	st.ObservedGeneration = res.Generation
	st.SecretName = res.SecretName()
	gen := res.Generation
	if o.err == nil {
		st.LastSyncTime = &metav1.Time{Time: now}
		st.DataHMAC = o.hmac
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: CondSynced, Status: metav1.ConditionTrue, Reason: ReasonSynced,
			Message: fmt.Sprintf("the Secret %s holds the data read from the store", st.SecretName), ObservedGeneration: gen,
		})
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: CondReady, Status: metav1.ConditionTrue, Reason: ReasonSecretReady,
			Message: fmt.Sprintf("the Secret %s is up to date", st.SecretName), ObservedGeneration: gen,
		})
		return st
	}
	reason := reasonOf(o.err)
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: CondSynced, Status: metav1.ConditionFalse, Reason: reason,
		Message: o.err.Error(), ObservedGeneration: gen,
	})
	ready := meta.FindStatusCondition(st.Conditions, CondReady)
	// The last good Secret stays: Ready holds while the Secret of a sync of
	// this generation exists.
	keep := ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == gen &&
		o.secretExists && reason != ReasonSecretNotOwned
	if !keep {
		readyReason, msg := ReasonNotSynced, "the Secret does not hold the data of this spec yet: see the Synced condition"
		if reason == ReasonSecretNotOwned {
			readyReason, msg = ReasonSecretNotOwned, o.err.Error()
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: CondReady, Status: metav1.ConditionFalse, Reason: readyReason,
			Message: msg, ObservedGeneration: gen,
		})
	}
	return st
}

// lastSyncRefresh is how old status.lastSyncTime may get while nothing else
// in the status changes: a refresh that finds the data as it was writes no
// status, so that a steady state costs the API server nothing.
func lastSyncRefresh(interval time.Duration) time.Duration {
	return max(10*time.Minute, 5*interval)
}

// statusChanged reports whether st differs from res's status enough to be
// written: anything but lastSyncTime, or lastSyncTime older than
// lastSyncRefresh.
func statusChanged(res *SecretsStoreSync, st Status, interval time.Duration) bool {
	old := res.Status
	if old.LastSyncTime != nil && st.LastSyncTime != nil && st.LastSyncTime.Sub(old.LastSyncTime.Time) < lastSyncRefresh(interval) {
		cp := st
		cp.LastSyncTime = old.LastSyncTime
		return !equality.Semantic.DeepEqual(old, cp)
	}
	return !equality.Semantic.DeepEqual(old, st)
}

// writeStatus patches the status subresource.
func (c *Controller) writeStatus(ctx context.Context, res *SecretsStoreSync, st Status) error {
	body, err := json.Marshal(map[string]any{"status": st})
	if err != nil {
		return err
	}
	_, err = c.dyn.Resource(GroupVersionResource).Namespace(res.Namespace).
		Patch(ctx, res.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: fieldManager}, "status")
	if err != nil {
		return fmt.Errorf("%w: write the status of SecretsStoreSync %s: %w", errKube, res.Ref(), err)
	}
	return nil
}
