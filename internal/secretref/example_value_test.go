// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref_test

import (
	"fmt"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

func ExampleParseValue() {
	for _, s := range []string{
		"secrets-store:demo-kv/data/db#postgresql://${.username}:${.password}@db/app#3",
		"jdbc:postgresql://db/app?password=${secrets-store:demo-kv/data/db#password}",
		`>>secrets-store:pki/issue/web#certificate#{"common_name":"web.example.test"}`,
		"${HOME}/bin",
	} {
		v, ok, err := secretref.ParseValue(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		if !ok {
			fmt.Println("no reference")
			continue
		}
		for _, p := range v.Parts {
			if p.Expr == nil {
				fmt.Printf("literal %q\n", p.Literal)
				continue
			}
			fmt.Printf("%s %s\n", p.Expr.Kind, p.Expr)
		}
	}
	// Output:
	// template secrets-store:demo-kv/data/db#postgresql://${.username}:${.password}@db/app#3
	// literal "jdbc:postgresql://db/app?password="
	// key secrets-store:demo-kv/data/db#password
	// write >>secrets-store:pki/issue/web#certificate
	// no reference
}

func ExampleParsePathVersionList() {
	list, err := secretref.ParsePathVersionList("demo-kv/data/common, demo-kv/data/myapp#3")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range list {
		fmt.Println(p.Path, p.Version)
	}
	fmt.Println(secretref.FormatPathVersionList(list))
	// Output:
	// demo-kv/data/common 0
	// demo-kv/data/myapp 3
	// demo-kv/data/common,demo-kv/data/myapp#3
}
