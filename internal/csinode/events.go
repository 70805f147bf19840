// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// Event reasons.
const (
	// ReasonRotationFailed: the files could not be refreshed and keep their
	// last content (Warning, on the pod and the SecretsStoreImport).
	ReasonRotationFailed = "SecretRotationFailed"
	// ReasonRotated: the files were refreshed with new content (Normal, on
	// the pod).
	ReasonRotated = "SecretRotated"
)

// ObjectRef names the object an Event is about.
type ObjectRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	UID        string
}

// EventRecorder records Kubernetes Events. Messages never hold secret values.
type EventRecorder interface {
	Event(obj ObjectRef, eventType, reason, message string)
}

func podObject(p podRef) ObjectRef {
	return ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
}

func ssiObject(s *ssi.SecretsStoreImport) ObjectRef {
	return ObjectRef{
		APIVersion: ssi.Group + "/" + ssi.Version, Kind: ssi.Kind,
		Namespace: s.Namespace, Name: s.Name, UID: string(s.UID),
	}
}

// KubeEvents records Events through the API server, with client-go's
// aggregation and spam filtering (a store outage makes many volumes fail
// alike).
type KubeEvents struct {
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
}

// NewKubeEvents starts an event broadcaster that writes to sink; Shutdown
// stops it.
func NewKubeEvents(sink record.EventSink, component, node string) *KubeEvents {
	b := record.NewBroadcaster()
	b.StartRecordingToSink(sink)
	r := b.NewRecorder(runtime.NewScheme(), corev1.EventSource{Component: component, Host: node})
	return &KubeEvents{broadcaster: b, recorder: r}
}

// Event records one Event about obj.
func (k *KubeEvents) Event(obj ObjectRef, eventType, reason, message string) {
	ref := &corev1.ObjectReference{
		APIVersion: obj.APIVersion, Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name, UID: types.UID(obj.UID),
	}
	k.recorder.Event(ref, eventType, reason, message)
}

// Shutdown stops the broadcaster; Events recorded later are dropped.
func (k *KubeEvents) Shutdown() { k.broadcaster.Shutdown() }
