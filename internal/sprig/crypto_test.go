// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/dsa" //nolint:staticcheck // DSA keys are an input Sprig accepts; the tests need some.
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sprigv3 "github.com/Masterminds/sprig/v3"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// crSprig is Sprig's function map, built once: the tests call it often.
var crSprig = sync.OnceValue(sprigv3.TxtFuncMap)

// crResult is what one call of a template function did.
type crResult struct {
	Value  any    // the first result; a Sprig certificate is turned into ours
	Failed bool   // a non-nil error was returned
	Err    string // its text
	Panic  string // the recovered panic as the evaluator reports it, or ""
}

func (r crResult) String() string {
	switch {
	case r.Panic != "":
		return "panic: " + r.Panic
	case r.Failed:
		return fmt.Sprintf("%#v, error %q", r.Value, r.Err)
	}
	return fmt.Sprintf("%#v", r.Value)
}

// crArg makes a for a parameter of type typ: nil becomes the zero value, a
// certificate becomes the callee's own certificate type, and a value of
// another type is converted (an int for derivePassword's uint32).
func crArg(a any, typ reflect.Type) reflect.Value {
	if a == nil {
		return reflect.Zero(typ)
	}
	if c, ok := a.(certificate); ok && typ.Kind() == reflect.Struct {
		v := reflect.New(typ).Elem()
		v.FieldByName("Cert").SetString(c.Cert)
		v.FieldByName("Key").SetString(c.Key)
		return v
	}
	v := reflect.ValueOf(a)
	if v.Type() != typ && v.Type().ConvertibleTo(typ) {
		v = v.Convert(typ)
	}
	return v
}

// crInvoke calls fn as the evaluator does: a panic is recovered and turned
// into text the way safeCall in internal/tmpl turns it into an error.
func crInvoke(fn any, args ...any) (r crResult) {
	fv := reflect.ValueOf(fn)
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		in[i] = crArg(a, fv.Type().In(i))
	}
	c := invoke(fv, in)
	r.Failed, r.Err, r.Panic = c.failed, c.err, c.panicked
	if r.Panic != "" {
		return r
	}
	v := c.values[0]
	if v.Kind() == reflect.Struct && v.Type().Name() == "certificate" {
		r.Value = certificate{Cert: v.FieldByName("Cert").String(), Key: v.FieldByName("Key").String()}
	} else {
		r.Value = v.Interface()
	}
	return r
}

// crPair calls the function name of this package and Sprig's with the same
// arguments.
func crPair(t testing.TB, name string, args ...any) (ours, theirs crResult) {
	t.Helper()
	fn, ok := cryptoFuncs()[name]
	if !ok {
		t.Fatalf("cryptoFuncs has no %s", name)
	}
	return crInvoke(fn, args...), crInvoke(crSprig()[name], args...)
}

// crExact wants the same result, error and panic from both.
func crExact(t testing.TB, name string, args ...any) {
	t.Helper()
	ours, theirs := crPair(t, name, args...)
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("%s: got %s, want %s", name, ours, theirs)
	}
}

// crCompareCertCall compares a certificate function's call with Sprig's:
// the same error or panic, or certificates alike by crSameCerts.
func crCompareCertCall(t testing.TB, sameKey bool, name string, args ...any) (ours, theirs crResult) {
	t.Helper()
	ours, theirs = crPair(t, name, args...)
	if ours.Failed || theirs.Failed || ours.Panic != "" || theirs.Panic != "" {
		if !reflect.DeepEqual(ours, theirs) {
			t.Errorf("%s: got %s, want %s", name, ours, theirs)
		}
		return ours, theirs
	}
	oc, ok1 := ours.Value.(certificate)
	tc, ok2 := theirs.Value.(certificate)
	if !ok1 || !ok2 {
		t.Fatalf("%s: got %T and %T, want certificates", name, ours.Value, theirs.Value)
	}
	crSameCerts(t, oc, tc, sameKey)
	return ours, theirs
}

// crCertShape is everything of a certificate that does not depend on
// chance or the clock.
type crCertShape struct {
	PEMType            string
	Rest               string
	Version            int
	Subject, Issuer    string
	IPs, DNS           string
	KeyUsage           x509.KeyUsage
	ExtKeyUsage        []x509.ExtKeyUsage
	Extensions         []string
	IsCA               bool
	BasicConstraints   bool
	MaxPathLen         int
	MaxPathLenZero     bool
	SignatureAlgorithm x509.SignatureAlgorithm
	PublicKeyAlgorithm x509.PublicKeyAlgorithm
	PublicKey          string
	SubjectKeyIDLen    int
	AuthorityKeyIDLen  int
}

// crSerialLimit is Sprig's bound for serial numbers, 2^128.
var crSerialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

func crParseCert(t testing.TB, s string) (*x509.Certificate, crCertShape) {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		t.Fatalf("no PEM block in certificate %q", s)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing certificate: %v", err)
	}
	if c.SerialNumber.Sign() < 0 || c.SerialNumber.Cmp(crSerialLimit) >= 0 {
		t.Errorf("got serial %v, want one in [0, 2^128)", c.SerialNumber)
	}
	var exts []string
	for _, e := range c.Extensions {
		exts = append(exts, fmt.Sprintf("%v critical=%v", e.Id, e.Critical))
	}
	return c, crCertShape{
		PEMType: block.Type, Rest: string(rest), Version: c.Version,
		Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		IPs: fmt.Sprint(c.IPAddresses), DNS: fmt.Sprintf("%q", c.DNSNames),
		KeyUsage: c.KeyUsage, ExtKeyUsage: c.ExtKeyUsage, Extensions: exts,
		IsCA: c.IsCA, BasicConstraints: c.BasicConstraintsValid, MaxPathLen: c.MaxPathLen, MaxPathLenZero: c.MaxPathLenZero,
		SignatureAlgorithm: c.SignatureAlgorithm, PublicKeyAlgorithm: c.PublicKeyAlgorithm,
		PublicKey:       crDescribeKey(c.PublicKey),
		SubjectKeyIDLen: len(c.SubjectKeyId), AuthorityKeyIDLen: len(c.AuthorityKeyId),
	}
}

// crDescribeKey names a public key's algorithm and size.
func crDescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		return fmt.Sprintf("ECDH-%v", k.Curve())
	case *dsa.PublicKey:
		return fmt.Sprintf("DSA-%d-%d", k.P.BitLen(), k.Q.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

// crKeyShape parses a key PEM from a result: its block type, what follows
// the block, and its public key.
func crKeyShape(t testing.TB, s string) (string, crypto.PublicKey) {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		t.Fatalf("no PEM block in key %q", s)
	}
	key, err := parseKeyPEM(s)
	if err != nil {
		t.Fatalf("parsing key: %v", err)
	}
	pub, err := publicKeyOf(key)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s rest=%q", block.Type, crDescribeKey(pub), rest), pub
}

// crSameCerts wants two certificates alike in everything but serial,
// keys, signatures and times, and times within a minute of each other.
// With sameKey both must carry the same key PEM (it was an argument).
func crSameCerts(t testing.TB, ours, theirs certificate, sameKey bool) {
	t.Helper()
	oc, oShape := crParseCert(t, ours.Cert)
	tc, tShape := crParseCert(t, theirs.Cert)
	if !reflect.DeepEqual(oShape, tShape) {
		t.Errorf("got certificate %+v, want %+v", oShape, tShape)
	}
	for _, d := range []time.Duration{oc.NotBefore.Sub(tc.NotBefore), oc.NotAfter.Sub(tc.NotAfter)} {
		if d < -time.Minute || d > time.Minute {
			t.Errorf("got validity %v–%v, want about %v–%v", oc.NotBefore, oc.NotAfter, tc.NotBefore, tc.NotAfter)
		}
	}
	if sameKey && ours.Key != theirs.Key {
		t.Errorf("got key %q, want %q", ours.Key, theirs.Key)
	}
	oKey, opub := crKeyShape(t, ours.Key)
	tKey, _ := crKeyShape(t, theirs.Key)
	if oKey != tKey {
		t.Errorf("got key %s, want %s", oKey, tKey)
	}
	if eq, _ := opub.(interface{ Equal(crypto.PublicKey) bool }); eq == nil || !eq.Equal(oc.PublicKey) {
		t.Errorf("the certificate's public key is not the key's")
	}
}

// crVerifySigned wants leaf signed by ca's key with ca's subject as issuer.
func crVerifySigned(t testing.TB, leaf, ca certificate) {
	t.Helper()
	lc, _ := crParseCert(t, leaf.Cert)
	cc, _ := crParseCert(t, ca.Cert)
	if err := lc.CheckSignatureFrom(cc); err != nil {
		t.Errorf("got %v verifying the signed certificate, want a valid signature", err)
	}
	if lc.Issuer.String() != cc.Subject.String() {
		t.Errorf("got issuer %s, want %s", lc.Issuer, cc.Subject)
	}
}

func crPEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func crB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// crRSA512 is a key Go refuses as too small (made with openssl genrsa).
const crRSA512 = `-----BEGIN RSA PRIVATE KEY-----
MIIBOQIBAAJBAL2Z52lWAXINblv+wpLqomHH/5dzTft2nslF79vy6Eu2+vxCD2Iv
gvpCibLlwYy466xTc3rTE4jRcSdfNRNdGzUCAwEAAQJAVSyLYa2qTpMsDZW/0QIo
2mZfMqkw0hNyt5Z8b0GLC1+s9OUVV+5UIMvMo7fqfrQ30Z03j9lFWRFRkAVaHVOJ
gQIhAOYcTsG6ZcZCXo1jYPqYx+70Tc/azZ9pPVRVOXJOq+ThAiEA0u7WJU8QP1AT
zC1krAtIPZQ22Ds+WrQxnWMyC9IhLNUCIHqgiUPqPoRqKBM2656APsPTw4fKNZwH
LFy90hBdZnNhAiByGnkFXauwVCUhgjy/RKsjhJXWitXEQ03DkfF0q4r+sQIgV1+q
1q1QWrXpt7JNSx2+mPUM5gsmZw0Le9v3ebhavy8=
-----END RSA PRIVATE KEY-----
`

// crFixtures are key PEMs of every kind the parsers accept, plus CAs made
// from some of them, generated once per test binary.
type crFixtureSet struct {
	keys  map[string]string // name → private key PEM
	names []string          // keys' names, sorted
	cas   map[string]certificate
}

var crFixtures = sync.OnceValue(func() crFixtureSet {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	keys := map[string]string{"rsa512": crRSA512}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	keys["rsa-pkcs1"] = crPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))
	der, err := x509.MarshalPKCS8PrivateKey(rk)
	must(err)
	keys["rsa-pkcs8"] = crPEM("PRIVATE KEY", der)
	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		ek, err := ecdsa.GenerateKey(c, rand.Reader)
		must(err)
		der, err := x509.MarshalECPrivateKey(ek)
		must(err)
		keys["ec-"+c.Params().Name] = crPEM("EC PRIVATE KEY", der)
		der, err = x509.MarshalPKCS8PrivateKey(ek)
		must(err)
		keys["ec-pkcs8-"+c.Params().Name] = crPEM("PRIVATE KEY", der)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	der, err = x509.MarshalPKCS8PrivateKey(edk)
	must(err)
	keys["ed25519"] = crPEM("PRIVATE KEY", der)
	xk, err := ecdh.X25519().GenerateKey(rand.Reader)
	must(err)
	der, err = x509.MarshalPKCS8PrivateKey(xk)
	must(err)
	keys["x25519"] = crPEM("PRIVATE KEY", der)
	// Small DSA parameters: generating Sprig's L2048N256 takes seconds and
	// the parsers do not look at the size.
	dk := new(dsa.PrivateKey)
	must(dsa.GenerateParameters(&dk.Parameters, rand.Reader, dsa.L1024N160))
	must(dsa.GenerateKey(dk, rand.Reader))
	der, err = asn1.Marshal(struct {
		V             int
		P, Q, G, Y, X *big.Int
	}{P: dk.P, Q: dk.Q, G: dk.G, Y: dk.Y, X: dk.X})
	must(err)
	keys["dsa"] = crPEM("DSA PRIVATE KEY", der)

	cas := map[string]certificate{}
	for _, name := range []string{"rsa-pkcs1", "ec-P-256", "ed25519"} {
		ca, err := genCAWithKey("fixture CA "+name, 30, keys[name])
		must(err)
		cas[name] = ca
	}
	return crFixtureSet{keys: keys, names: slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}), cas: cas}
})

// TestCryptoFuncsAreSprigs: the names and signatures of cryptoFuncs are
// Sprig's, and the certificate type looks like Sprig's to a template.
func TestCryptoFuncsAreSprigs(t *testing.T) {
	want := []string{
		"bcrypt", "buildCustomCert", "decryptAES", "derivePassword", "encryptAES", "genCA", "genCAWithKey",
		"genPrivateKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
		"htpasswd", "randBytes", "sha512sum", "uuidv4",
	}
	funcs := cryptoFuncs()
	var got []string
	for name := range funcs {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got functions %q, want %q", got, want)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			theirs, ok := crSprig()[name]
			if !ok {
				t.Fatalf("Sprig has no %s", name)
			}
			if g, w := reflect.TypeOf(funcs[name]).String(), reflect.TypeOf(theirs).String(); g != w {
				t.Errorf("got signature %s, want %s", g, w)
			}
		})
	}
	sprigCert := reflect.TypeOf(crSprig()["genCA"]).Out(0)
	ourCert := reflect.TypeFor[certificate]()
	if g, w := fmt.Sprintf("%T", certificate{}), sprigCert.String(); g != w {
		t.Errorf("got type name %s, want %s", g, w)
	}
	if ourCert.NumField() != sprigCert.NumField() {
		t.Fatalf("got %d certificate fields, want %d", ourCert.NumField(), sprigCert.NumField())
	}
	for i := range ourCert.NumField() {
		g, w := ourCert.Field(i), sprigCert.Field(i)
		if g.Name != w.Name || g.Type != w.Type {
			t.Errorf("got certificate field %s %s, want %s %s", g.Name, g.Type, w.Name, w.Type)
		}
	}
}

func TestSha512sum(t *testing.T) {
	for _, in := range []string{"", "abc", "héllo\x00wörld", "\xff\xfe", strings.Repeat("x", 1000)} {
		t.Run(fmt.Sprintf("%.10q", in), func(t *testing.T) { crExact(t, "sha512sum", in) })
	}
	// A known vector (FIPS 180-2, "abc") so a change on both sides shows.
	const abc = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
	if got := sha512sum("abc"); got != abc {
		t.Errorf("got %s, want %s", got, abc)
	}
}

func TestDerivePassword(t *testing.T) {
	cases := []struct {
		counter                   int
		typ, password, user, site string
	}{
		{1, "long", "password", "user", "example.com"},
		{2, "long", "password", "user", "example.com"},
		{0, "maximum", "password", "user", "example.com"},
		{4294967295, "medium", "pw", "ünïcode", "sïte"},
		{1, "short", "", "", ""},
		{7, "basic", "correct horse", "jane", "bank.example"},
		{1, "pin", "1234", "user", "atm"},
		{3, "maximum", strings.Repeat("p", 200), strings.Repeat("u", 300), strings.Repeat("s", 70000)},
		{1, "unknown", "password", "user", "site"},
		{1, "", "password", "user", "site"},
		{1, "Long", "password", "user", "site"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d/%s/%.12s", c.counter, c.typ, c.site), func(t *testing.T) {
			crExact(t, "derivePassword", c.counter, c.typ, c.password, c.user, c.site)
		})
	}
}

// crMPWDigests are SHA-256 digests of Sprig's derivePassword(c, type,
// "master", "user", "site.example") for c = 0..255 joined by newlines:
// enough counters to reach every template of every type, which a live
// comparison could not afford (each Sprig call runs scrypt).
var crMPWDigests = map[string]string{
	"maximum": "a1789571c868a784fa5af71230a231b3f94287d177ec95fe20e14cc58b55ff06",
	"long":    "832518e77b68f6d17b27262528daa3141ad09a02465a048ff9299386a602698d",
	"medium":  "89ee168dc59d213d0abb8525ec9589d8197c68057e5f8cf94eab404abed301db",
	"short":   "8dcea7e45875f828ba17c727d69b8ee744346e63f5e1cbcde45e2d137bbba923",
	"basic":   "1bd6f6789cb35a6b898d2c37dc26a39f62cc280a0bc5dfe985624f5336da2c4b",
	"pin":     "a971ecf81e320e697011f240928b2a2db906d7d10731715ea2063848f45d984b",
}

// TestDerivePasswordTemplates checks the site-password step over many
// counters against digests of Sprig's results; on a mismatch it asks
// Sprig for the first differing password.
func TestDerivePasswordTemplates(t *testing.T) {
	key, err := scrypt.Key([]byte("master"), mpwScoped("user"), 32768, 8, 2, 64)
	if err != nil {
		t.Fatal(err)
	}
	for typ, want := range crMPWDigests {
		t.Run(typ, func(t *testing.T) {
			passwords := make([]string, 256)
			for c := range passwords {
				passwords[c] = mpwSitePassword(key, mpwTemplates[typ], uint32(c), "site.example")
			}
			sum := sha256.Sum256([]byte(strings.Join(passwords, "\n")))
			if got := hex.EncodeToString(sum[:]); got == want {
				return
			}
			for c, p := range passwords {
				if w := crInvoke(crSprig()["derivePassword"], c, typ, "master", "user", "site.example"); w.Value != p {
					t.Fatalf("counter %d: got %q, want %s", c, p, w)
				}
			}
			t.Errorf("got a digest other than %s, though every password is Sprig's: the digest is stale", want)
		})
	}
	if len(crMPWDigests) != len(mpwTemplates) {
		t.Errorf("got digests for %d types, want all %d", len(crMPWDigests), len(mpwTemplates))
	}
}

func TestBcrypt(t *testing.T) {
	for _, in := range []string{"", "secret", "pässwörd", strings.Repeat("a", 72), strings.Repeat("a", 73)} {
		t.Run(fmt.Sprintf("%.10q/%d", in, len(in)), func(t *testing.T) {
			ours, theirs := crPair(t, "bcrypt", in)
			o, _ := ours.Value.(string)
			w, _ := theirs.Value.(string)
			if !strings.HasPrefix(w, "$2") {
				// Sprig's failure text: ours must say the same.
				if o != w {
					t.Errorf("got %q, want %q", o, w)
				}
				return
			}
			if err := bcrypt.CompareHashAndPassword([]byte(o), []byte(in)); err != nil {
				t.Errorf("got hash %q not matching the password: %v", o, err)
			}
			if len(o) != len(w) || o[:7] != w[:7] {
				t.Errorf("got hash %q, want one like %q", o, w)
			}
		})
	}
}

func TestHtpasswd(t *testing.T) {
	cases := []struct{ user, password string }{
		{"admin", "secret"},
		{"", ""},
		{"jöhn doe", "pässwörd"},
		{"a:b", "secret"},
		{":", ""},
		{"user:", "x"},
		{"user", strings.Repeat("p", 73)},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			ours, theirs := crPair(t, "htpasswd", c.user, c.password)
			o, _ := ours.Value.(string)
			w, _ := theirs.Value.(string)
			_, theirHash, _ := strings.Cut(w, ":")
			if strings.Contains(c.user, ":") || !strings.HasPrefix(theirHash, "$2") {
				if o != w {
					t.Errorf("got %q, want %q", o, w)
				}
				return
			}
			user, hash, _ := strings.Cut(o, ":")
			if user != c.user {
				t.Errorf("got user %q, want %q", user, c.user)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(c.password)); err != nil {
				t.Errorf("got hash %q not matching the password: %v", hash, err)
			}
			if len(o) != len(w) {
				t.Errorf("got %q, want one like %q", o, w)
			}
		})
	}
}

// TestAESInterop: each side decrypts the other's ciphertext; the
// ciphertext is IV plus whole padded blocks.
func TestAESInterop(t *testing.T) {
	passwords := []string{"", "k", "secret", strings.Repeat("k", 32), strings.Repeat("k", 31) + "é", strings.Repeat("long", 20)}
	texts := []string{"a", "fifteen bytes!!", "sixteen bytes!!!", "seventeen bytes!!", "ünïcode ✓", strings.Repeat("z", 1000), "\x10\x10"}
	for _, pw := range passwords {
		for _, text := range texts {
			t.Run(fmt.Sprintf("%.8q/%.8q", pw, text), func(t *testing.T) {
				ours, theirs := crPair(t, "encryptAES", pw, text)
				if ours.Failed || theirs.Failed || ours.Panic != "" || theirs.Panic != "" {
					t.Fatalf("got %s, want success like %s", ours, theirs)
				}
				oct, _ := ours.Value.(string)
				tct, _ := theirs.Value.(string)
				raw, err := base64.StdEncoding.DecodeString(oct)
				if err != nil {
					t.Fatalf("got ciphertext %q not in standard base64: %v", oct, err)
				}
				if want := aes.BlockSize + (len(text)/aes.BlockSize+1)*aes.BlockSize; len(raw) != want || len(oct) != len(tct) {
					t.Errorf("got %d bytes, want %d (and %d base64 characters, got %d)", len(raw), want, len(tct), len(oct))
				}
				if got := crInvoke(crSprig()["decryptAES"], pw, oct); got.Value != text || got.Failed || got.Panic != "" {
					t.Errorf("Sprig decrypting ours: got %s, want %q", got, text)
				}
				if got := crInvoke(decryptAES, pw, tct); got.Value != text || got.Failed || got.Panic != "" {
					t.Errorf("decrypting Sprig's: got %s, want %q", got, text)
				}
			})
		}
	}
	crExact(t, "encryptAES", "pw", "")
	// The IV is random: over 64 ciphertexts every bit of it varies.
	var ones, zeros [aes.BlockSize]byte
	for range 64 {
		ct, err := encryptAES("pw", "same")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(ct)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range raw[:aes.BlockSize] {
			ones[i] |= b
			zeros[i] |= ^b
		}
	}
	for i := range ones {
		if v := ones[i] & zeros[i]; v != 0xff {
			t.Errorf("IV byte %d: bits varying %08b, want all", i, v)
		}
	}
}

// crCBC encrypts blocks (no padding added) under Sprig's key derivation,
// to build ciphertexts whose last plaintext byte is chosen.
func crCBC(password string, plain []byte) string {
	block, err := aes.NewCipher(aesKey(password))
	if err != nil {
		panic(err)
	}
	out := make([]byte, aes.BlockSize+len(plain))
	copy(out, "0123456789abcdef")
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], plain)
	return base64.StdEncoding.EncodeToString(out)
}

// TestDecryptAESAsSprig covers what decryptAES does with bad input: the
// same error, result or panic text as Sprig.
func TestDecryptAESAsSprig(t *testing.T) {
	withLast := func(b byte, blocks int) []byte {
		p := bytes.Repeat([]byte("p"), blocks*aes.BlockSize)
		p[len(p)-1] = b
		return p
	}
	cases := []struct{ name, password, crypt string }{
		{"empty", "pw", ""},
		{"not base64", "pw", "not base64!"},
		{"url alphabet", "pw", "ab-_"},
		{"unpadded", "pw", "YWJj" + "ZA"},
		{"one byte", "pw", "YQ=="},
		{"fifteen bytes", "pw", crB64("0123456789abcde")},
		{"IV only", "pw", crB64("0123456789abcdef")},
		{"IV and a byte", "pw", crB64("0123456789abcdefX")},
		{"IV and 31 bytes", "pw", crB64(strings.Repeat("y", 47))},
		{"newlines ignored", "pw", "MDEy\nMzQ1\r\nNjc4OWFiY2RlZg=="},
		{"padding 0", "pw", crCBC("pw", withLast(0, 1))},
		{"padding 1", "pw", crCBC("pw", withLast(1, 1))},
		{"padding 16", "pw", crCBC("pw", withLast(16, 1))},
		{"padding 17 in one block", "pw", crCBC("pw", withLast(17, 1))},
		{"padding 17 in two blocks", "pw", crCBC("pw", withLast(17, 2))},
		{"padding 255", "pw", crCBC("pw", withLast(255, 1))},
		{"long password truncated", strings.Repeat("k", 32) + "ignored", crCBC(strings.Repeat("k", 32), withLast(3, 1))},
		{"wrong password", "other", crCBC("pw", withLast(3, 2))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { crExact(t, "decryptAES", c.password, c.crypt) })
	}
}

// crCustomCertCases are buildCustomCert inputs, as PEM before base64.
func crCustomCertCases(t testing.TB) []struct{ name, cert, key string } {
	t.Helper()
	fx := crFixtures()
	ca := fx.cas["rsa-pkcs1"]
	block, _ := pem.Decode([]byte(ca.Cert))
	garbage := []byte{0x30, 0x03, 0x02, 0x01, 0x05}
	cases := []struct{ name, cert, key string }{
		{"matching", ca.Cert, ca.Key},
		{"cert with trailing text", ca.Cert + "trailer\n", ca.Key},
		{"cert block type not checked", crPEM("WHATEVER", block.Bytes), ca.Key},
		{"cert not PEM", "hello", ca.Key},
		{"cert empty", "", ca.Key},
		{"cert garbage DER", crPEM("CERTIFICATE", garbage), ca.Key},
		{"cert truncated DER", crPEM("CERTIFICATE", block.Bytes[:len(block.Bytes)/2]), ca.Key},
		{"key empty", ca.Cert, ""},
		{"key not PEM", ca.Cert, "hello"},
		{"key is a certificate", ca.Cert, ca.Cert},
		{"key type unknown", ca.Cert, crPEM("FOO PRIVATE KEY", garbage)},
		{"key type only suffix", ca.Cert, crPEM(" PRIVATE KEY", garbage)},
		{"key type encrypted", ca.Cert, crPEM("ENCRYPTED PRIVATE KEY", garbage)},
		{"key type lowercase", ca.Cert, crPEM("rsa private key", garbage)},
		{"PKCS8 garbage", ca.Cert, crPEM("PRIVATE KEY", garbage)},
		{"RSA garbage", ca.Cert, crPEM("RSA PRIVATE KEY", garbage)},
		{"EC garbage", ca.Cert, crPEM("EC PRIVATE KEY", garbage)},
		{"DSA garbage", ca.Cert, crPEM("DSA PRIVATE KEY", garbage)},
		{"DSA empty", ca.Cert, crPEM("DSA PRIVATE KEY", nil)},
		{"DSA short sequence", ca.Cert, crPEM("DSA PRIVATE KEY", []byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x07})},
		{"DSA wrong tag", ca.Cert, crPEM("DSA PRIVATE KEY", []byte{0x30, 0x03, 0x04, 0x01, 0x00})},
		// asn1 quotes the struct's type name here.
		{"DSA not a sequence", ca.Cert, crPEM("DSA PRIVATE KEY", []byte{0x02, 0x01, 0x00})},
		{"both bad", "hello", "hello"},
	}
	for _, name := range fx.names {
		cases = append(cases, struct{ name, cert, key string }{"key " + name, ca.Cert, fx.keys[name]})
	}
	return cases
}

func TestBuildCustomCert(t *testing.T) {
	for _, c := range crCustomCertCases(t) {
		t.Run(c.name, func(t *testing.T) { crExact(t, "buildCustomCert", crB64(c.cert), crB64(c.key)) })
	}
	ca := crFixtures().cas["rsa-pkcs1"]
	for _, c := range []struct{ name, cert, key string }{
		{"cert not base64", "%%%", crB64(ca.Key)},
		{"key not base64", crB64(ca.Cert), "%%%"},
		{"both not base64", "%%%", "%%%"},
		{"cert unpadded", strings.TrimRight(crB64(ca.Cert+"x"), "="), crB64(ca.Key)},
		{"raw PEM, not base64", ca.Cert, ca.Key},
	} {
		t.Run(c.name, func(t *testing.T) { crExact(t, "buildCustomCert", c.cert, c.key) })
	}
}

// crSANs are the IP and DNS arguments tried: every element kind a
// template may pass, valid and not.
var crSANs = []struct {
	name     string
	ips, dns []any
}{
	{"none", nil, nil},
	{"empty", []any{}, []any{}},
	{"both", []any{"127.0.0.1", "::1", "10.0.0.1"}, []any{"example.com", "*.example.com", "localhost"}},
	{"mapped IPv4", []any{"::ffff:192.0.2.1"}, nil},
	{"bad ip", []any{"300.1.1.1"}, []any{"example.com"}},
	{"ip with zone", []any{"fe80::1%eth0"}, nil},
	{"ip not string", []any{1}, nil},
	{"ip nil", []any{nil}, nil},
	{"dns not string", nil, []any{42}},
	{"dns nil", nil, []any{nil}},
	{"bad ip and dns", []any{"x"}, []any{42}},
	{"dns unicode", nil, []any{"ünïcode.example"}},
	{"dns empty", nil, []any{""}},
	{"dns odd", nil, []any{"a b", "-x-.", "foo..bar"}},
}

// crDays are validity arguments: ordinary, zero, negative, beyond year
// 9999, and large enough to overflow the duration.
var crDays = []int{365, 0, -1, 3_000_000, 1 << 40}

// TestCertsWithKeyAsSprig runs the WithKey functions over every fixture
// key, SAN set and validity: the same error, or certificates alike and the
// same key PEM.
func TestCertsWithKeyAsSprig(t *testing.T) {
	fx := crFixtures()
	keys := append([]string{}, fx.names...)
	badKeys := map[string]string{
		"empty": "", "not PEM": "hello", "certificate": fx.cas["rsa-pkcs1"].Cert,
		"unknown type": crPEM("FOO PRIVATE KEY", []byte{1}), "RSA garbage": crPEM("RSA PRIVATE KEY", []byte{1}),
	}
	for name := range badKeys {
		keys = append(keys, name)
	}
	keyPEM := func(name string) string {
		if k, ok := fx.keys[name]; ok {
			return k
		}
		return badKeys[name]
	}
	for _, kn := range keys {
		t.Run("genCAWithKey/"+kn, func(t *testing.T) {
			for _, days := range crDays {
				crCompareCertCall(t, true, "genCAWithKey", "My CA", days, keyPEM(kn))
			}
		})
		t.Run("genSelfSignedCertWithKey/"+kn, func(t *testing.T) {
			crCompareCertCall(t, true, "genSelfSignedCertWithKey", "self", crSANs[2].ips, crSANs[2].dns, 30, keyPEM(kn))
		})
		for can, ca := range fx.cas {
			t.Run("genSignedCertWithKey/"+kn+"/by "+can, func(t *testing.T) {
				ours, _ := crCompareCertCall(t, true, "genSignedCertWithKey", "leaf", crSANs[2].ips, crSANs[2].dns, 30, ca, keyPEM(kn))
				if c, ok := ours.Value.(certificate); ok && !ours.Failed {
					crVerifySigned(t, c, ca)
				}
			})
		}
	}
	key := fx.keys["ec-P-256"]
	ca := fx.cas["rsa-pkcs1"]
	for _, s := range crSANs {
		for _, days := range crDays {
			t.Run(fmt.Sprintf("SANs %s/days %d", s.name, days), func(t *testing.T) {
				crCompareCertCall(t, true, "genSelfSignedCertWithKey", "cn", s.ips, s.dns, days, key)
				crCompareCertCall(t, true, "genSignedCertWithKey", "cn", s.ips, s.dns, days, ca, key)
			})
		}
	}
	for _, cn := range []string{"", "ünïcode CN", "a,b=c+d", strings.Repeat("x", 100)} {
		t.Run("cn "+cn, func(t *testing.T) {
			crCompareCertCall(t, true, "genCAWithKey", cn, 1, key)
			crCompareCertCall(t, true, "genSignedCertWithKey", cn, nil, nil, 1, ca, key)
		})
	}
}

// TestSignedCertBadCA: what genSignedCert(WithKey) says about a CA it
// cannot use, checked before the SAN arguments.
func TestSignedCertBadCA(t *testing.T) {
	fx := crFixtures()
	good := fx.cas["rsa-pkcs1"]
	other := fx.cas["ec-P-256"]
	block, _ := pem.Decode([]byte(good.Cert))
	leaf, err := genSignedCertWithKey("leaf", nil, nil, 1, good, fx.keys["ec-P-256"])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ca   certificate
	}{
		{"zero", certificate{}},
		{"cert not PEM", certificate{Cert: "hello", Key: good.Key}},
		{"cert garbage", certificate{Cert: crPEM("CERTIFICATE", []byte{0x30, 0}), Key: good.Key}},
		{"cert truncated", certificate{Cert: crPEM("CERTIFICATE", block.Bytes[:100]), Key: good.Key}},
		{"key missing", certificate{Cert: good.Cert}},
		{"key garbage", certificate{Cert: good.Cert, Key: crPEM("EC PRIVATE KEY", []byte{1, 2})}},
		{"key of another CA", certificate{Cert: good.Cert, Key: other.Key}},
		{"DSA key", certificate{Cert: good.Cert, Key: fx.keys["dsa"]}},
		{"X25519 key", certificate{Cert: good.Cert, Key: fx.keys["x25519"]}},
		{"too small key", certificate{Cert: good.Cert, Key: crRSA512}},
		{"leaf as CA", leaf},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			crCompareCertCall(t, true, "genSignedCertWithKey", "cn", []any{"bad ip"}, nil, 1, c.ca, fx.keys["ec-P-256"])
			crCompareCertCall(t, true, "genSignedCertWithKey", "cn", nil, nil, 1, c.ca, fx.keys["ec-P-256"])
			crCompareCertCall(t, true, "genSignedCertWithKey", "cn", nil, nil, 1, c.ca, "no key")
		})
	}
	// genSignedCert's key is new, but its errors come from the CA and SANs.
	for _, c := range cases[:4] {
		t.Run("genSignedCert/"+c.name, func(t *testing.T) {
			crCompareCertCall(t, false, "genSignedCert", "cn", nil, nil, 1, c.ca)
		})
	}
}

// TestCertsWithNewKeyAsSprig: genCA, genSelfSignedCert and genSignedCert
// make RSA 2048 certificates like Sprig's; signed ones verify against the
// CA, whichever side made it.
func TestCertsWithNewKeyAsSprig(t *testing.T) {
	oursCA, theirsCA := crCompareCertCall(t, false, "genCA", "Test CA", 365)
	for _, s := range crSANs {
		t.Run("genSelfSignedCert/"+s.name, func(t *testing.T) {
			crCompareCertCall(t, false, "genSelfSignedCert", "host", s.ips, s.dns, 10)
		})
	}
	for _, c := range []struct {
		name string
		ca   crResult
	}{{"our CA", oursCA}, {"Sprig's CA", theirsCA}} {
		ca, ok := c.ca.Value.(certificate)
		if !ok || c.ca.Failed {
			t.Fatalf("genCA: got %s", c.ca)
		}
		t.Run("genSignedCert/"+c.name, func(t *testing.T) {
			ours, theirs := crCompareCertCall(t, false, "genSignedCert", "leaf", crSANs[2].ips, crSANs[2].dns, 7, ca)
			for _, r := range []crResult{ours, theirs} {
				if leaf, ok := r.Value.(certificate); ok && !r.Failed {
					crVerifySigned(t, leaf, ca)
				}
			}
		})
	}
	crCompareCertCall(t, false, "genSelfSignedCert", "host", []any{"bad"}, nil, 10)
	crCompareCertCall(t, false, "genCA", "expired", -1)
	crCompareCertCall(t, false, "genCA", "far", 3_000_000)
}

func TestGenPrivateKey(t *testing.T) {
	for _, typ := range []string{"RSA", "foo", " ecdsa", "ed448", "x25519", "ecdsa ", "Ed25519"} {
		t.Run(typ, func(t *testing.T) { crExact(t, "genPrivateKey", typ) })
	}
	// Sprig is called once per type; "" is "rsa" and checked on our side
	// only, RSA 4096 and DSA 2048 generation take seconds.
	types := []string{"ecdsa", "ed25519", "rsa", "dsa"}
	if testing.Short() {
		types = types[:2]
	}
	for _, typ := range types {
		t.Run(typ, func(t *testing.T) {
			ours, theirs := crPair(t, "genPrivateKey", typ)
			o, _ := ours.Value.(string)
			w, _ := theirs.Value.(string)
			if g, w := crGenKeyShape(t, o), crGenKeyShape(t, w); g != w {
				t.Errorf("got key %s, want %s", g, w)
			}
		})
	}
	if !testing.Short() {
		if g, w := crGenKeyShape(t, genPrivateKey("")), "RSA PRIVATE KEY RSA-4096 rest=\"\""; g != w {
			t.Errorf(`genPrivateKey(""): got key %s, want %s`, g, w)
		}
	}
}

// crGenKeyShape is crKeyShape plus a check that the key's own validity
// (a DSA key's X must match Y).
func crGenKeyShape(t testing.TB, s string) string {
	t.Helper()
	shape, pub := crKeyShape(t, s)
	if d, ok := pub.(*dsa.PublicKey); ok {
		key, _ := parseKeyPEM(s)
		dk, _ := key.(*dsa.PrivateKey)
		if y := new(big.Int).Exp(d.G, dk.X, d.P); y.Cmp(d.Y) != 0 {
			t.Errorf("got a DSA key whose Y is not G^X mod P")
		}
	}
	return shape
}

func TestRandBytes(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 16, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ours, theirs := crPair(t, "randBytes", n)
			o, _ := ours.Value.(string)
			w, _ := theirs.Value.(string)
			raw, err := base64.StdEncoding.DecodeString(o)
			if err != nil || len(raw) != n {
				t.Errorf("got %q (%d bytes, %v), want %d bytes of standard base64", o, len(raw), err, n)
			}
			if len(o) != len(w) || ours.Failed != theirs.Failed {
				t.Errorf("got %s, want one like %s", ours, theirs)
			}
		})
	}
	a, errA := randBytes(32)
	b, errB := randBytes(32)
	if a == b || errA != nil || errB != nil {
		t.Errorf("got %q, %v then %q, %v, want two different random values", a, errA, b, errB)
	}
	crExact(t, "randBytes", -1)
}

var crUUIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUIDv4(t *testing.T) {
	seen := map[string]bool{}
	sprigUUID, _ := crSprig()["uuidv4"].(func() string)
	for range 200 {
		for _, u := range []string{uuidv4(), sprigUUID()} {
			if !crUUIDRE.MatchString(u) {
				t.Fatalf("got %q, want a lowercase version 4, variant 10 UUID", u)
			}
		}
		u := uuidv4()
		if seen[u] {
			t.Fatalf("got %s twice", u)
		}
		seen[u] = true
	}
	// Every random bit varies: over 200 UUIDs, each of the 122 random bits
	// is seen as 0 and as 1.
	var ones, zeros [16]byte
	for u := range seen {
		raw, err := hex.DecodeString(strings.ReplaceAll(u, "-", ""))
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range raw {
			ones[i] |= b
			zeros[i] |= ^b
		}
	}
	fixed := [16]byte{6: 0xf0, 8: 0xc0}
	for i := range ones {
		if ones[i]&zeros[i] != ^fixed[i] {
			t.Errorf("byte %d: bits varying %08b, want %08b", i, ones[i]&zeros[i], ^fixed[i])
		}
	}
}

func FuzzDecryptAES(f *testing.F) {
	f.Add("pw", crCBC("pw", bytes.Repeat([]byte{3}, 16)))
	f.Add("", "YQ==")
	f.Add("k", crB64("0123456789abcdef"))
	f.Add(strings.Repeat("k", 40), crB64(strings.Repeat("y", 48)))
	f.Add("pw", "MDEy\nMzQ1\r\nNjc4OWFiY2RlZg==")
	ct, err := encryptAES("pw", "hello")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("pw", ct)
	f.Fuzz(func(t *testing.T, password, crypt string) {
		crExact(t, "decryptAES", password, crypt)
	})
}

// FuzzBuildCustomCert fuzzes the base64 arguments directly and, with
// encode set, the PEM text under the base64.
func FuzzBuildCustomCert(f *testing.F) {
	for _, c := range crCustomCertCases(f) {
		f.Add(c.cert, c.key, true)
	}
	f.Add("%%%", "", false)
	f.Add(crB64("x"), "YQ", false)
	f.Fuzz(func(t *testing.T, cert, key string, encode bool) {
		if encode {
			cert, key = crB64(cert), crB64(key)
		}
		crExact(t, "buildCustomCert", cert, key)
	})
}

// FuzzCertWithKey fuzzes the key PEM of genCAWithKey,
// genSelfSignedCertWithKey and genSignedCertWithKey.
func FuzzCertWithKey(f *testing.F) {
	fx := crFixtures()
	for _, name := range fx.names {
		f.Add(fx.keys[name])
	}
	f.Add("")
	f.Add(crPEM("DSA PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}))
	ca := fx.cas["ec-P-256"]
	f.Fuzz(func(t *testing.T, key string) {
		crCompareCertCall(t, true, "genCAWithKey", "ca", 1, key)
		crCompareCertCall(t, true, "genSelfSignedCertWithKey", "self", []any{"::1"}, []any{"x.example"}, 1, key)
		crCompareCertCall(t, true, "genSignedCertWithKey", "leaf", nil, []any{"x.example"}, 1, ca, key)
	})
}

// FuzzSignedCertCA fuzzes the CA certificate and key PEM given to
// genSignedCertWithKey.
func FuzzSignedCertCA(f *testing.F) {
	fx := crFixtures()
	for _, ca := range fx.cas {
		f.Add(ca.Cert, ca.Key)
	}
	f.Add(fx.cas["rsa-pkcs1"].Cert, fx.keys["dsa"])
	f.Add("", "")
	key := fx.keys["ed25519"]
	f.Fuzz(func(t *testing.T, caCert, caKey string) {
		crCompareCertCall(t, true, "genSignedCertWithKey", "leaf", nil, nil, 1, certificate{Cert: caCert, Key: caKey}, key)
	})
}
