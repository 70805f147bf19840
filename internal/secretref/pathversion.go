// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"strconv"
	"strings"
)

// PathVersion is an element of an env-from-path list: a PATH and the KV
// version 2 secret version to read, 0 for the latest.
type PathVersion struct {
	Path    string
	Version int
}

// String formats p as PATH or PATH#VERSION. For a valid p it is the inverse
// of a one-element ParsePathVersionList.
func (p PathVersion) String() string {
	if p.Version == 0 {
		return p.Path
	}
	return p.Path + "#" + strconv.Itoa(p.Version)
}

// ParsePathVersionList parses an env-from-path list whose elements may pin
// a version: "demo-kv/data/common,demo-kv/data/myapp#3". Whitespace around
// each element is ignored, an empty list or element is an error, and an
// element listed more than once (the same PATH and version) is kept only
// at its last position, because keys from later paths override keys from
// earlier ones. The same PATH with different versions is two elements.
func ParsePathVersionList(s string) ([]PathVersion, error) {
	if strings.Trim(s, listSpace) == "" {
		return nil, syntaxError(whatList, s, PartList, "empty list")
	}
	var out []PathVersion
	offset, n := 0, 0
	for elem := range strings.SplitSeq(s, ",") {
		n++
		e := strings.Trim(elem, listSpace)
		start := offset + len(elem) - len(strings.TrimLeft(elem, listSpace))
		prefix := "element " + strconv.Itoa(n)
		if e == "" {
			return nil, syntaxError(whatList, s, PartList, prefix+" is empty"+at(start))
		}
		path, version, hasVersion := strings.Cut(e, "#")
		if reason := checkPath(path, start); reason != "" {
			return nil, syntaxError(whatList, s, PartPath, prefix+": "+reason)
		}
		pv := PathVersion{Path: path}
		if hasVersion {
			reason := `empty version after "#"`
			if version != "" {
				pv.Version, reason = parseVersion(version)
			}
			if reason != "" {
				return nil, syntaxError(whatList, s, PartVersion, prefix+": "+reason+at(start+len(path)+1))
			}
		}
		out = append(out, pv)
		offset += len(elem) + 1
	}
	return keepLast(out), nil
}

// FormatPathVersionList joins the elements with commas. For distinct valid
// elements it is the inverse of ParsePathVersionList.
func FormatPathVersionList(list []PathVersion) string {
	var b strings.Builder
	for i, p := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.String())
	}
	return b.String()
}
