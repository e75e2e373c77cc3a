package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
)

func TestServingCertVerifiesForLoopbackNames(t *testing.T) {
	p, err := writePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CAPEM) {
		t.Fatal("CA PEM not parsable")
	}
	data, err := os.ReadFile(p.ServingCert)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
			t.Errorf("serving cert does not verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("serving cert verifies for example.com")
	}
	tokens, err := os.ReadFile(p.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	want := p.Token + `,admin,admin,"system:masters"` + "\n" +
		p.SchedulerToken + ",system:kube-scheduler,system:kube-scheduler\n" +
		p.KwokToken + `,kwok,kwok,"system:masters"` + "\n"
	if string(tokens) != want {
		t.Errorf("token file %q, want %q", tokens, want)
	}
	if p.Token == p.SchedulerToken || p.Token == p.KwokToken || p.SchedulerToken == p.KwokToken || len(p.SchedulerToken) != 48 {
		t.Errorf("tokens are not distinct random values: %q %q %q", p.Token, p.SchedulerToken, p.KwokToken)
	}
}

func TestKubeconfigNamesEverythingAfterTheContext(t *testing.T) {
	got := kubeconfigYAML("c1", "https://127.0.0.1:1", []byte("ca"), "tok")
	for _, want := range []string{"current-context: c1\n", "- name: c1\n  context:\n    cluster: c1\n    user: c1\n", "token: tok\n", "certificate-authority-data: Y2E=\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("kubeconfig lacks %q:\n%s", want, got)
		}
	}
}

func TestContextNames(t *testing.T) {
	for _, ok := range []string{"c1", "prod-eu.1", "a"} {
		if !contextName.MatchString(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"", "C1", "-a", "a b", "a:b", strings.Repeat("a", 64)} {
		if contextName.MatchString(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
