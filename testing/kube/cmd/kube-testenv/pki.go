package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the file paths of a cluster's credentials, all under <dir>/pki.
type pki struct {
	CACert, ServingCert, ServingKey string
	SAPublic, SAPrivate             string
	TokenFile                       string
	// CAPEM is the CA certificate, embedded in kubeconfigs.
	CAPEM []byte
	// Token is the admin bearer token (group system:masters).
	Token string
	// SchedulerToken authenticates kube-scheduler as user system:kube-scheduler, whom the
	// apiserver's bootstrap RBAC policy grants what the scheduler needs and no more.
	SchedulerToken string
	// KwokToken authenticates KWOK (user kwok, group system:masters: it plays every kubelet).
	KwokToken string
}

// writePKI creates a CA, a serving certificate for 127.0.0.1/localhost signed by it, a
// service-account key pair and a token file (admin, kube-scheduler, kwok) in dir.
func writePKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir %s: %w", dir, err)
	}
	p := &pki{
		CACert:      filepath.Join(dir, "ca.crt"),
		ServingCert: filepath.Join(dir, "apiserver.crt"),
		ServingKey:  filepath.Join(dir, "apiserver.key"),
		SAPublic:    filepath.Join(dir, "sa.pub"),
		SAPrivate:   filepath.Join(dir, "sa.key"),
		TokenFile:   filepath.Join(dir, "tokens.csv"),
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-testenv-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	p.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	servingKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate serving key: %w", err)
	}
	servingTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
	servingDER, err := x509.CreateCertificate(rand.Reader, servingTemplate, caCert, &servingKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create serving certificate: %w", err)
	}
	// RSA for service-account tokens: the most widely supported JWT algorithm (RS256).
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate service-account key: %w", err)
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"admin", &p.Token}, {"kube-scheduler", &p.SchedulerToken}, {"kwok", &p.KwokToken}} {
		tokenBytes := make([]byte, 24)
		if _, err := rand.Read(tokenBytes); err != nil {
			return nil, fmt.Errorf("generate %s token: %w", t.name, err)
		}
		*t.dst = hex.EncodeToString(tokenBytes)
	}
	// token,user,uid,"groups"
	tokens := p.Token + `,admin,admin,"system:masters"` + "\n" +
		p.SchedulerToken + ",system:kube-scheduler,system:kube-scheduler\n" +
		p.KwokToken + `,kwok,kwok,"system:masters"` + "\n"

	files := []struct {
		path string
		data []byte
	}{
		{p.CACert, p.CAPEM},
		{p.ServingCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER})},
		{p.ServingKey, mustPrivatePEM(servingKey)},
		{p.SAPrivate, mustPrivatePEM(saKey)},
		{p.SAPublic, mustPublicPEM(&saKey.PublicKey)},
		{p.TokenFile, []byte(tokens)},
	}
	for _, f := range files {
		if f.data == nil {
			return nil, fmt.Errorf("encode %s", f.path)
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return p, nil
}

// mustPrivatePEM encodes key as PKCS#8 PEM, or returns nil when it cannot be encoded.
func mustPrivatePEM(key crypto.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// mustPublicPEM encodes key as PKIX PEM, or returns nil when it cannot be encoded.
func mustPublicPEM(key crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
