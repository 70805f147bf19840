// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/dsa" //nolint:staticcheck // Sprig's genPrivateKey "dsa" and its DSA key PEM input must keep working.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// cryptoFuncs returns Sprig v3.3.0's hashing, key, certificate, AES and
// random functions. Every Go signature is Sprig's: the evaluator converts
// arguments by parameter type, so a different type would change which
// arguments a template may pass. Functions that report a failure in their
// string result instead of an error do so because Sprig does.
func cryptoFuncs() map[string]any {
	return map[string]any{
		"sha512sum":                sha512sum,
		"bcrypt":                   bcryptString,
		"htpasswd":                 htpasswd,
		"derivePassword":           derivePassword,
		"genPrivateKey":            genPrivateKey,
		"buildCustomCert":          buildCustomCert,
		"genCA":                    genCA,
		"genCAWithKey":             genCAWithKey,
		"genSelfSignedCert":        genSelfSignedCert,
		"genSelfSignedCertWithKey": genSelfSignedCertWithKey,
		"genSignedCert":            genSignedCert,
		"genSignedCertWithKey":     genSignedCertWithKey,
		"encryptAES":               encryptAES,
		"decryptAES":               decryptAES,
		"randBytes":                randBytes,
		"uuidv4":                   uuidv4,
	}
}

func sha512sum(input string) string {
	sum := sha512.Sum512([]byte(input))
	return hex.EncodeToString(sum[:])
}

// bcryptString hashes with the library's default cost (10). A failure
// (a password over 72 bytes) becomes the result text, as in Sprig.
func bcryptString(input string) string {
	hash, err := bcrypt.GenerateFromPassword([]byte(input), bcrypt.DefaultCost)
	if err != nil {
		return "failed to encrypt string with bcrypt: " + err.Error()
	}
	return string(hash)
}

// htpasswd builds an Apache "user:bcrypt-hash" line. A colon would end the
// user name early in such a file, so such a name gets a message instead.
func htpasswd(username, password string) string {
	if strings.Contains(username, ":") {
		return "invalid username: " + username
	}
	return username + ":" + bcryptString(password)
}

// randBytes returns count random bytes in standard padded base64. A
// negative count panics in make, the way Sprig's does.
func randBytes(count int) (string, error) {
	buf := make([]byte, count)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf), nil
}

// uuidv4 returns a random RFC 4122 version 4 UUID in the lowercase
// 8-4-4-4-12 hex form.
func uuidv4() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic(err)
	}
	u[6] = 0x40 | u[6]&0x0f // version 4
	u[8] = 0x80 | u[8]&0x3f // variant 10xx
	var out [36]byte
	pos := 0
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[pos] = '-'
			pos++
		}
		hex.Encode(out[pos:pos+2], []byte{b})
		pos += 2
	}
	return string(out[:])
}

// Master Password (algorithm v3) constants behind derivePassword. The
// template lists are ordered: the seed picks one by index.
const lyndirScope = "com.lyndir.masterpassword"

var mpwTemplates = map[string][]string{
	"maximum": {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"},
	"long": {
		"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno",
		"CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
		"CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno",
		"CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
		"CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
		"CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno",
		"CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno",
	},
	"medium": {"CvcnoCvc", "CvcCvcno"},
	"short":  {"Cvcn"},
	"basic":  {"aaanaaan", "aannaaan", "aaannaaa"},
	"pin":    {"nnnn"},
}

// mpwClasses maps a template letter to the characters it may become; the
// order inside each set matters, a seed byte indexes it.
var mpwClasses = map[byte]string{
	'V': "AEIOU",
	'C': "BCDFGHJKLMNPQRSTVWXYZ",
	'v': "aeiou",
	'c': "bcdfghjklmnpqrstvwxyz",
	'A': "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
	'a': "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
	'n': "0123456789",
	'o': "@&%?,=[]_:-+*$#!'^~;()/.",
	'x': "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}

// mpwScoped is scope, the 32-bit big-endian length of s, then s. Lengths
// are taken modulo 2^32 like the algorithm's fixed-width field.
func mpwScoped(s string) []byte {
	b := make([]byte, 0, len(lyndirScope)+4+len(s)+4)
	b = append(b, lyndirScope...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s))) //nolint:gosec // the field is 32 bits wide by definition; longer input wraps as in Sprig.
	return append(b, s...)
}

// derivePassword is the Master Password site password: scrypt of the
// master password salted with the user name gives the key, from which
// mpwSitePassword makes the password.
func derivePassword(counter uint32, passwordType, password, user, site string) string {
	templates, ok := mpwTemplates[passwordType]
	if !ok {
		return "cannot find password template " + passwordType
	}
	key, err := scrypt.Key([]byte(password), mpwScoped(user), 32768, 8, 2, 64)
	if err != nil {
		return "failed to derive password: " + err.Error()
	}
	return mpwSitePassword(key, templates, counter, site)
}

// mpwSitePassword: HMAC-SHA256 of the site name and counter under key is
// the seed, whose first byte picks a template and whose next bytes pick
// each character. Separate from the scrypt step so tests can cover many
// counters cheaply.
func mpwSitePassword(key []byte, templates []string, counter uint32, site string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(binary.BigEndian.AppendUint32(mpwScoped(site), counter))
	seed := mac.Sum(nil)

	pattern := templates[int(seed[0])%len(templates)]
	out := make([]byte, len(pattern))
	for i := range len(pattern) {
		class := mpwClasses[pattern[i]]
		out[i] = class[int(seed[i+1])%len(class)]
	}
	return string(out)
}

// genPrivateKey returns a PEM private key of the named type, or a message
// in place of the key: Sprig's function has no error result.
func genPrivateKey(typ string) string {
	var key crypto.PrivateKey
	var err error
	switch typ {
	case "", "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case "dsa":
		k := new(dsa.PrivateKey)
		if perr := dsa.GenerateParameters(&k.Parameters, rand.Reader, dsa.L2048N256); perr != nil {
			return "failed to generate dsa params: " + perr.Error()
		}
		err = dsa.GenerateKey(k, rand.Reader)
		key = k
	case "ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "Unknown type " + typ
	}
	if err != nil {
		return "failed to generate private key: " + err.Error()
	}
	return string(pem.EncodeToMemory(keyPEMBlock(key)))
}

// DSAKeyFormat is the OpenSSL ASN.1 layout of a "DSA PRIVATE KEY" block.
// The type's name and field types are part of Sprig's behavior: asn1
// parse errors quote them, and a user sees those errors.
type DSAKeyFormat struct {
	Version       int
	P, Q, G, Y, X *big.Int
}

// keyPEMBlock encodes RSA as PKCS #1, ECDSA as SEC 1, DSA in OpenSSL's
// layout and anything else as PKCS #8; nil when PKCS #8 refuses the key.
func keyPEMBlock(key crypto.PrivateKey) *pem.Block {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, _ := x509.MarshalECPrivateKey(k)
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	case *dsa.PrivateKey:
		der, _ := asn1.Marshal(DSAKeyFormat{P: k.P, Q: k.Q, G: k.G, Y: k.Y, X: k.X})
		return &pem.Block{Type: "DSA PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
}

// parseKeyPEM reads the first PEM block of s as a private key: "PRIVATE
// KEY" as PKCS #8, "RSA/EC/DSA PRIVATE KEY" as PKCS #1, SEC 1 and OpenSSL
// DSA. Data around the block is ignored.
func parseKeyPEM(s string) (crypto.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM data in input")
	}
	if block.Type == "PRIVATE KEY" {
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("decoding PEM as PKCS#8: %w", err)
		}
		return key, nil
	}
	kind, ok := strings.CutSuffix(block.Type, " PRIVATE KEY")
	if !ok {
		return nil, fmt.Errorf("no private key data in PEM block of type %s", block.Type)
	}
	switch kind {
	case "RSA":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing RSA private key from PEM: %w", err)
		}
		return key, nil
	case "EC":
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing EC private key from PEM: %w", err)
		}
		return key, nil
	case "DSA":
		var f DSAKeyFormat
		if _, err := asn1.Unmarshal(block.Bytes, &f); err != nil {
			return nil, fmt.Errorf("parsing DSA private key from PEM: %w", err)
		}
		k := &dsa.PrivateKey{X: f.X}
		k.P, k.Q, k.G, k.Y = f.P, f.Q, f.G, f.Y
		return k, nil
	default:
		return nil, fmt.Errorf("invalid private key type %s", block.Type)
	}
}

func publicKeyOf(key crypto.PrivateKey) (crypto.PublicKey, error) {
	switch k := key.(type) {
	case interface{ Public() crypto.PublicKey }:
		return k.Public(), nil
	case *dsa.PrivateKey:
		return &k.PublicKey, nil
	default:
		return nil, fmt.Errorf("unable to get public key for type %T", key)
	}
}

// certificate is what the certificate functions return. Its name and
// fields are Sprig's: templates read .Cert and .Key, typeOf prints
// "sprig.certificate", and genSignedCert takes one back.
type certificate struct {
	Cert string
	Key  string
}

// buildCustomCert checks that b64cert holds a PEM certificate and b64key a
// PEM private key, both base64-encoded, and returns them decoded. The two
// need not match; the PEM block type of the certificate is not checked.
func buildCustomCert(b64cert, b64key string) (certificate, error) {
	certPEM, err := base64.StdEncoding.DecodeString(b64cert)
	if err != nil {
		return certificate{}, errors.New("unable to decode base64 certificate")
	}
	keyPEM, err := base64.StdEncoding.DecodeString(b64key)
	if err != nil {
		return certificate{}, errors.New("unable to decode base64 private key")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return certificate{}, errors.New("unable to decode certificate")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return certificate{}, fmt.Errorf("error parsing certificate: decodedCert.Bytes: %w", err)
	}
	if _, err := parseKeyPEM(string(keyPEM)); err != nil {
		return certificate{}, fmt.Errorf("error parsing private key: %w", err)
	}
	return certificate{Cert: string(certPEM), Key: string(keyPEM)}, nil
}

func newRSA2048() (crypto.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("error generating rsa key: %w", err)
	}
	return key, nil
}

func keyFromPEMArg(privPEM string) (crypto.PrivateKey, error) {
	key, err := parseKeyPEM(privPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w", err)
	}
	return key, nil
}

// genCA makes a self-signed CA certificate with a new RSA 2048 key.
func genCA(cn string, daysValid int) (certificate, error) {
	key, err := newRSA2048()
	if err != nil {
		return certificate{}, err
	}
	return caWithKey(cn, daysValid, key)
}

func genCAWithKey(cn string, daysValid int, privPEM string) (certificate, error) {
	key, err := keyFromPEMArg(privPEM)
	if err != nil {
		return certificate{}, err
	}
	return caWithKey(cn, daysValid, key)
}

// caWithKey keeps the leaf template's extended key usages on the CA, as
// Sprig does; only the key usage gains certificate signing.
func caWithKey(cn string, daysValid int, key crypto.PrivateKey) (certificate, error) {
	tmpl, err := certTemplate(cn, nil, nil, daysValid)
	if err != nil {
		return certificate{}, err
	}
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	tmpl.IsCA = true
	return issue(tmpl, key, tmpl, key)
}

// genSelfSignedCert makes a self-signed leaf certificate with a new RSA
// 2048 key.
func genSelfSignedCert(cn string, ips, alternateDNS []any, daysValid int) (certificate, error) {
	key, err := newRSA2048()
	if err != nil {
		return certificate{}, err
	}
	return selfSignedWithKey(cn, ips, alternateDNS, daysValid, key)
}

func genSelfSignedCertWithKey(cn string, ips, alternateDNS []any, daysValid int, privPEM string) (certificate, error) {
	key, err := keyFromPEMArg(privPEM)
	if err != nil {
		return certificate{}, err
	}
	return selfSignedWithKey(cn, ips, alternateDNS, daysValid, key)
}

func selfSignedWithKey(cn string, ips, alternateDNS []any, daysValid int, key crypto.PrivateKey) (certificate, error) {
	tmpl, err := certTemplate(cn, ips, alternateDNS, daysValid)
	if err != nil {
		return certificate{}, err
	}
	return issue(tmpl, key, tmpl, key)
}

// genSignedCert makes a leaf certificate with a new RSA 2048 key, signed by
// ca (a certificate from genCA or buildCustomCert).
func genSignedCert(cn string, ips, alternateDNS []any, daysValid int, ca certificate) (certificate, error) {
	key, err := newRSA2048()
	if err != nil {
		return certificate{}, err
	}
	return signedWithKey(cn, ips, alternateDNS, daysValid, ca, key)
}

func genSignedCertWithKey(cn string, ips, alternateDNS []any, daysValid int, ca certificate, privPEM string) (certificate, error) {
	key, err := keyFromPEMArg(privPEM)
	if err != nil {
		return certificate{}, err
	}
	return signedWithKey(cn, ips, alternateDNS, daysValid, ca, key)
}

// signedWithKey checks the CA before the SAN arguments: with both wrong,
// the CA's error is the one reported, as in Sprig.
func signedWithKey(cn string, ips, alternateDNS []any, daysValid int, ca certificate, key crypto.PrivateKey) (certificate, error) {
	block, _ := pem.Decode([]byte(ca.Cert))
	if block == nil {
		return certificate{}, errors.New("unable to decode certificate")
	}
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return certificate{}, fmt.Errorf("error parsing certificate: decodedSignerCert.Bytes: %w", err)
	}
	caKey, err := parseKeyPEM(ca.Key)
	if err != nil {
		return certificate{}, fmt.Errorf("error parsing private key: %w", err)
	}
	tmpl, err := certTemplate(cn, ips, alternateDNS, daysValid)
	if err != nil {
		return certificate{}, err
	}
	return issue(tmpl, key, caCert, caKey)
}

// issue signs tmpl (holding key's public half) with parent's signer and
// PEM-encodes the certificate and key.
func issue(tmpl *x509.Certificate, key crypto.PrivateKey, parent *x509.Certificate, signer crypto.PrivateKey) (certificate, error) {
	pub, err := publicKeyOf(key)
	if err != nil {
		return certificate{}, fmt.Errorf("error retrieving public key from signee key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return certificate{}, fmt.Errorf("error creating certificate: %w", err)
	}
	var certBuf, keyBuf bytes.Buffer
	if err := pem.Encode(&certBuf, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
		return certificate{}, fmt.Errorf("error pem-encoding certificate: %w", err)
	}
	// A nil block (a key PKCS #8 cannot encode) panics here, as in Sprig;
	// every key the parsers return can be encoded.
	if err := pem.Encode(&keyBuf, keyPEMBlock(key)); err != nil {
		return certificate{}, fmt.Errorf("error pem-encoding key: %w", err)
	}
	return certificate{Cert: certBuf.String(), Key: keyBuf.String()}, nil
}

// certTemplate is the leaf template: a random serial below 2^128, the
// validity starting now, server and client auth. IP and DNS arguments are
// checked in that order and must be strings.
func certTemplate(cn string, ips, alternateDNS []any, daysValid int) (*x509.Certificate, error) {
	netIPs := make([]net.IP, len(ips))
	for i, v := range ips {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("error parsing ip: %v is not a string", v)
		}
		if netIPs[i] = net.ParseIP(s); netIPs[i] == nil {
			return nil, fmt.Errorf("error parsing ip: %s", s)
		}
	}
	names := make([]string, len(alternateDNS))
	for i, v := range alternateDNS {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("error processing alternate dns name: %v is not a string", v)
		}
		names[i] = s
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	// The multiplication wraps for huge day counts exactly like Sprig's.
	validity := time.Duration(daysValid) * 24 * time.Hour
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		IPAddresses:           netIPs,
		DNSNames:              names,
		NotBefore:             time.Now(),
		NotAfter:              time.Now().Add(validity),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}, nil
}

// aesKey is the password's first 32 bytes, zero-padded: always AES-256.
func aesKey(password string) []byte {
	key := make([]byte, 32)
	copy(key, password)
	return key
}

// encryptAES is AES-256-CBC with PKCS #7 padding and a random IV prepended
// to the ciphertext, in standard base64. An empty plaintext gives "".
func encryptAES(password, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	block, err := aes.NewCipher(aesKey(password))
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	data := make([]byte, aes.BlockSize+len(plaintext)+pad)
	iv := data[:aes.BlockSize]
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	body := data[aes.BlockSize:]
	n := copy(body, plaintext)
	for i := n; i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body) //nolint:gosec // G407 misreads iv: rand.Read filled it above.
	return base64.StdEncoding.EncodeToString(data), nil
}

// decryptAES reverses encryptAES. Like Sprig's it checks nothing after the
// base64 decoding: the padding length is the last byte, unverified, and
// input shorter than an IV, not whole blocks, or with a padding byte over
// the length makes it panic with the same runtime error as Sprig's. The
// slice and index operations below are kept in Sprig's order so those
// messages (which quote lengths and capacities) stay the same.
func decryptAES(password, crypt64 string) (string, error) {
	if crypt64 == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(crypt64)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(aesKey(password))
	if err != nil {
		return "", err
	}
	iv := raw[:aes.BlockSize]
	body := raw[aes.BlockSize:]
	plain := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, body)
	end := len(plain) - int(plain[len(plain)-1])
	return string(plain[:end]), nil
}
