// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"dario.cat/mergo"
	"github.com/mitchellh/copystructure"
)

// dictFuncs are Sprig's merge and deepCopy functions, which slim-sprig
// lacks. They call the libraries Sprig calls (mergo, copystructure): their
// rules for nested maps, empty values and types are what the results
// depend on, and neither costs anything at start.
func dictFuncs() map[string]any {
	return map[string]any{
		"merge":              merge,
		"mergeOverwrite":     mergeOverwrite,
		"mustMerge":          mustMerge,
		"mustMergeOverwrite": mustMergeOverwrite,
		"deepCopy":           deepCopy,
		"mustDeepCopy":       mustDeepCopy,
	}
}

// merge merges each of srcs into dst in turn, changing dst in place and
// returning it; a value dst already has (not empty) stays. When mergo
// fails, merge returns "" and mustMerge the error, with the merges before
// the failing one done.
func merge(dst map[string]any, srcs ...map[string]any) any {
	r, err := mustMerge(dst, srcs...)
	if err != nil {
		return ""
	}
	return r
}

func mustMerge(dst map[string]any, srcs ...map[string]any) (any, error) {
	return mergeInto(dst, srcs)
}

// mergeOverwrite is merge where the values of later maps win.
func mergeOverwrite(dst map[string]any, srcs ...map[string]any) any {
	r, err := mustMergeOverwrite(dst, srcs...)
	if err != nil {
		return ""
	}
	return r
}

func mustMergeOverwrite(dst map[string]any, srcs ...map[string]any) (any, error) {
	return mergeInto(dst, srcs, mergo.WithOverride)
}

// mergeInto returns the merged dst (mergo may replace a nil dst by a new
// map), or nil and mergo's error.
func mergeInto(dst map[string]any, srcs []map[string]any, opts ...func(*mergo.Config)) (any, error) {
	for _, src := range srcs {
		if err := mergo.Merge(&dst, src, opts...); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// deepCopy panics where mustDeepCopy fails, with Sprig's message.
func deepCopy(i any) any {
	c, err := mustDeepCopy(i)
	if err != nil {
		panic("deepCopy error: " + err.Error())
	}
	return c
}

func mustDeepCopy(i any) (any, error) {
	return copystructure.Copy(i)
}
