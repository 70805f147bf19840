// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"context"
	"errors"
	"sync"
)

// Pods holds, in memory only, the ServiceAccount token of every pod whose
// environment volume is published on this node, keyed by the pod's UID.
// The CSI node plugin writes it at each (re)publish; the NRI plugin reads it
// at CreateContainer. It never prints a token.
type Pods struct {
	mu sync.RWMutex
	m  map[string]podEntry // pod UID → entry
}

type podEntry struct {
	pod            string // "namespace/name", for messages
	serviceAccount string // "namespace/name", from kubelet
	target         string // the volume's target path
	token          string
}

// errNoPodToken: the pod's volume is known but the token is gone.
var errNoPodToken = errors.New("no ServiceAccount token for the pod")

// errPodUnknown: the pod opted in but its volume's publish has not reached
// this process (it restarted since, or the pod lacks the volume).
var errPodUnknown = errors.New("the pod's ServiceAccount token has not reached the node's secrets-store plugin " +
	"(the plugin restarted, or the pod's environment volume is not published): kubelet hands it over when it " +
	"publishes the volume again and retries the container; if this lasts, check that the pod kept the " +
	"environment volume the module's webhook added")

// NewPods returns an empty registry.
func NewPods() *Pods { return &Pods{m: make(map[string]podEntry)} }

// Set records the token of pod uid ("namespace/name" pod and service
// account), published at target. A later Set of the same uid replaces it:
// kubelet republishes with a fresh token.
func (p *Pods) Set(uid, pod, serviceAccount, target, token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[uid] = podEntry{pod: pod, serviceAccount: serviceAccount, target: target, token: token}
}

// ForgetTarget drops the pod whose volume was published at target and
// reports whether there was one.
func (p *Pods) ForgetTarget(target string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for uid, e := range p.m {
		if e.target == target {
			delete(p.m, uid)
			return true
		}
	}
	return false
}

// Len is the number of pods known.
func (p *Pods) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.m)
}

func (p *Pods) get(uid string) (podEntry, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.m[uid]
	return e, ok
}

// jwt returns the current token of pod uid at each call, so that a login
// uses the freshest token kubelet handed over.
func (p *Pods) jwt(uid string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		e, ok := p.get(uid)
		if !ok || e.token == "" {
			return "", errNoPodToken
		}
		return e.token, nil
	}
}

// SetPod is Pods.Set; with ForgetTarget and Connected it makes the plugin
// what the CSI node plugin hands environment volumes to.
func (p *Plugin) SetPod(uid, pod, serviceAccount, target, token string) {
	p.pods.Set(uid, pod, serviceAccount, target, token)
}

// ForgetTarget is Pods.ForgetTarget.
func (p *Plugin) ForgetTarget(target string) bool { return p.pods.ForgetTarget(target) }
