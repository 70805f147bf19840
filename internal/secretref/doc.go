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
// (case-sensitive, see [IsRef]); any other value is passed to the program
// unchanged. A reference has exactly one of two forms:
//
//	secrets-store:PATH#KEY
//	secrets-store:PATH#KEY#VERSION
//
// for example secrets-store:demo-kv/data/myapp-secret#DB_PASS#4. Nothing is
// trimmed: a space anywhere, an empty part or a fourth "#"-separated part is
// an error, because a template that does not resolve is a mistake worth
// reporting rather than guessing about.
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
// JSON object keys.
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
// "secrets-store:" prefix at all.
package secretref
