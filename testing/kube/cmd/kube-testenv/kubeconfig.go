package main

import (
	"encoding/base64"
	"fmt"
	"os"
)

// kubeconfigYAML renders a kubeconfig with one cluster, user and context, all named name,
// with the CA embedded (so files can be merged and moved) and a bearer token.
func kubeconfigYAML(name, server string, caPEM []byte, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s
  user:
    token: %[4]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
current-context: %[1]s
`, name, server, base64.StdEncoding.EncodeToString(caPEM), token)
}

// writeKubeconfig writes kubeconfigYAML to path atomically (write then rename), so a reader
// never sees half a file.
func writeKubeconfig(path, name, server string, caPEM []byte, token string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(kubeconfigYAML(name, server, caPEM, token)), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename kubeconfig to %s: %w", path, err)
	}
	return nil
}
