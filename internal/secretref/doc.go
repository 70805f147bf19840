// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package secretref defines the syntax users write to name secrets in a
// Vault-compatible store (Stronghold, OpenBao, HashiCorp Vault): templates in
// environment values, the secrets-store.deckhouse.io/env-from-path annotation
// and the file entries of a SecretsStoreImport. The mutating webhook, the
// injector and the CSI driver all parse with this package, so a value one of
// them accepts is accepted by all. It depends on the standard library only
// because it is linked into the static injector binary.
//
// # References
//
// An environment value is a reference when it starts with "secrets-store:"
// (case-sensitive, see [IsRef]). [Parse] reads the basic form, which has
// exactly one of two shapes:
//
//	secrets-store:PATH#KEY
//	secrets-store:PATH#KEY#VERSION
//
// for example secrets-store:demo-kv/data/myapp-secret#DB_PASS#4. Nothing is
// trimmed: a space anywhere, an empty part or a fourth "#"-separated part is
// an error, because a template that does not resolve is a mistake worth
// reporting rather than guessing about.
//
// # Value forms
//
// [ParseValue] reads every form an environment value may take; a value
// holding none of them is passed to the program unchanged.
//
//	secrets-store:PATH#KEY[#VERSION]        KEY of the secret at PATH
//	secrets-store:PATH#TEMPLATE[#VERSION]   a template over the secret's data
//	>>secrets-store:PATH#KEY[#JSON]         KEY of the response to a write
//	secrets-store:login                     the injector's own store token
//	…${secrets-store:PATH#KEY[#VERSION]}…   inline references in longer text
//
// The text after the first "#" is a TEMPLATE, rather than a KEY, when it
// holds "${" and, after it, "}": secrets-store:demo-kv/data/db#postgresql://${.username}@db/app.
// Only a final "#" followed by digits after the template's last "}" is a
// VERSION; any other "#" belongs to the template, and a final "#" without
// digits is an empty VERSION. The template language is checked where the
// template is executed; here a template is limited to [MaxTemplateLen]
// bytes of valid UTF-8 without NUL.
//
// A write sends the JSON object after the second "#" (everything after it,
// "#" included; "{}" when there is none) to PATH and takes KEY from the
// response's data, for engines that answer a write, such as a PKI
// issue/ROLE path: >>secrets-store:pki/issue/web#certificate#{"common_name":"web.example.test"}.
// The body must be a JSON object of at most [MaxBodyLen] bytes.
//
// secrets-store:login is accepted only as a whole value; the caller allows
// it only for the variable VAULT_TOKEN.
//
// A value that does not start with "secrets-store:" or ">>secrets-store:"
// but contains "${secrets-store:" or "${>>secrets-store:" has inline
// references: each "${" followed by a prefix starts one, which ends at the
// first "}" after it, and the text around them is kept. An inline
// reference is a key reference or a write, never a template or
// secrets-store:login. Because a body is a JSON object, an inline write
// whose body starts with "{" ends at the first "}" after the brace that
// closes the body (braces inside JSON strings do not count), so
// ${>>secrets-store:pki/issue/web#certificate#{"common_name":"web.example.test"}}
// is one reference. A "${" followed by anything else, as in ${HOME}, is
// literal text. A value that starts with a prefix but does not parse is an
// error, never literal text.
//
// # PATH
//
// PATH is the store API path after /v1/, such as demo-kv/data/myapp-secret
// for a KV version 2 secret (note the data/ segment). It is made of segments
// separated by single "/". Every segment is non-empty and is neither "." nor
// "..", so there is no leading "/", no trailing "/" (that would list a
// directory rather than read a secret) and no "//": HTTP servers, including
// the store's own, clean such paths and may redirect or resolve them to a
// different secret than the one written.
//
// Segments may contain any printable Unicode character (letters, marks,
// digits, punctuation, symbols) except
//
//	#   separates PATH from KEY
//	?   starts a URL query
//	%   starts a percent-escape, so a%2Fb and a/b would be ambiguous
//	\   is turned into "/" by some proxies
//	,   separates paths in env-from-path lists
//
// Whitespace of any kind, control and formatting characters (such as
// zero-width or bidirectional marks) and bytes that are not valid UTF-8 are
// rejected. Everything else commonly found in store paths is allowed,
// including "-", "_", ".", "@", ":", "+", "=", "~" and "*". The store may
// impose further limits of its own.
//
// # KEY and VERSION
//
// KEY names a field of the secret, such as DB_PASS. It is non-empty valid
// UTF-8 made of printable characters other than "#" and whitespace; unlike
// PATH it may contain "/", ",", "?", "%" and "\", since store keys are plain
// JSON object keys. For [ParseValue], a KEY that holds "${" and, after it,
// "}" is a TEMPLATE instead.
//
// VERSION selects a version of a KV version 2 secret. It is a decimal integer
// from 1 to 2147483647 written without sign or leading zeros; #0, #01, #-1,
// #+1, #1.5 and an empty version are errors. Without VERSION the latest
// version is read, which [Ref] represents as Version 0.
//
// # Path lists
//
// The env-from-path annotation holds PATHs separated by commas, for example
// demo-kv/data/common,demo-kv/data/myapp. Spaces, tabs and line breaks
// around each PATH are ignored, so "a, b" equals "a,b"; an empty element
// (an empty list, "a,,b", a trailing comma) is an error. Keys read from
// later paths override keys read from earlier ones, so when a PATH is listed
// more than once only its last occurrence is kept: "a,b,a" means "b,a",
// which keeps a's keys winning over b's as written.
//
// [ParsePathVersionList] also accepts a #VERSION after each PATH, as in
// demo-kv/data/common,demo-kv/data/myapp#3; there the same PATH with the
// same version is a duplicate, and with different versions it is not.
//
// # File names
//
// A SecretsStoreImport file entry names a file written into the pod's
// secrets directory. The name is a single path element: non-empty, at most
// 255 bytes, valid UTF-8, without "/" or control characters, and it does
// not start with "." (which also rules out "." and ".."): names starting
// with a dot are reserved for the directory's own bookkeeping, such as the
// ..data link used to swap files atomically. The source of a file entry is
// a PATH and a KEY with the rules above.
//
// # Errors
//
// Every function reports a malformed input as a [*SyntaxError] that says
// what is wrong and which form is allowed. Because a user may paste a secret
// value where a reference belongs, an error quotes at most the first 128
// bytes of the input, and [Parse] does not quote an input that lacks the
// "secrets-store:" prefix at all. [ParseValue] quotes a write only up to
// its KEY and quotes nothing of a value with inline references, whose
// literal text may itself be a secret; its offsets count bytes from the
// start of the value.
package secretref
