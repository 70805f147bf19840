// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package i18n holds the Russian wording of the benchmark pages
// (docs/internal/BENCHMARKS.ru.md) in ru.json, out of the Go sources: Deckhouse's
// linter refuses Cyrillic letters in code, and keeps Russian text in files
// named for it. The English wording stays next to the code that measures.
package i18n

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed ru.json
var ruJSON []byte

var ru = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	if err := json.Unmarshal(ruJSON, &m); err != nil {
		panic(fmt.Sprintf("i18n: ru.json: %v", err))
	}
	return m
})

// RU returns the Russian text of key. A key without a text is a mistake in
// the code, which TestEveryKeyHasText catches; RU panics on it rather than
// write a page with a hole.
func RU(key string) string {
	s, ok := ru()[key]
	if !ok {
		panic("i18n: no Russian text for " + key + " in test/bench/i18n/ru.json")
	}
	return s
}
