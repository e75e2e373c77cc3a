package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kwokNodeAnnotation marks the nodes KWOK plays the kubelet of: it runs with
// --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake.
const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
)

// fakeNode is the Node object of a KWOK node: untainted, so any pod may be scheduled to it,
// and big enough that a whole test run never fills the shared clusters (every test pushes the
// example, whose pods ask for 16 CPUs and 8 GiB, and nothing deletes them until the run ends;
// 256 CPUs a node ran out in the full suite) nor a benchmark of 1,000 pods per cluster. KWOK's
// node-initialize stage fills in conditions, addresses and node info.
func fakeNode(name string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100000"),
		corev1.ResourceMemory: resource.MustParse("100Ti"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: kwokNodeValue, "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/arch":     "amd64",
				"kubernetes.io/os":       "linux",
				"kubernetes.io/hostname": name,
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity.DeepCopy()},
	}
}

// nodeNames returns kwok-node-0 … kwok-node-<n-1>.
func nodeNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("kwok-node-%d", i)
	}
	return names
}

// createNode creates node in the cluster (its status is kept on create).
func createNode(client *http.Client, server, token string, node *corev1.Node) error {
	body, err := json.Marshal(node)
	if err != nil {
		return fmt.Errorf("encode node %s: %w", node.Name, err)
	}
	req, err := http.NewRequest(http.MethodPost, server+"/api/v1/nodes", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("create node %s: %w", node.Name, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("create node %s: %w", node.Name, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("create node %s: %s: %s", node.Name, resp.Status, bytes.TrimSpace(data))
	}
	return nil
}

// schedulableNodes returns how many of names are Ready and have no taints in the NodeList
// JSON body. The apiserver taints a new Node node.kubernetes.io/not-ready; the node lifecycle
// controller lifts it once the node is Ready, and only then can pods be scheduled there.
func schedulableNodes(body []byte, names []string) (int, error) {
	var list corev1.NodeList
	if err := json.Unmarshal(body, &list); err != nil {
		return 0, fmt.Errorf("decode node list: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	ready := 0
	for _, node := range list.Items {
		if !want[node.Name] || len(node.Spec.Taints) > 0 {
			continue
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	return ready, nil
}

// getBody returns the body of GET server+path with the bearer token, or nil on any error or
// a status other than 200.
func getBody(client *http.Client, server, token, path string) []byte {
	req, err := http.NewRequest(http.MethodGet, server+path, nil)
	if err != nil {
		return nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	return data
}
