package main

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// A node counts once it is Ready and the not-ready taint the apiserver adds is gone; nodes
// not ours do not count.
func TestSchedulableNodes(t *testing.T) {
	ready := func(n *corev1.Node) *corev1.Node {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		return n
	}
	tainted := ready(fakeNode("kwok-node-1"))
	tainted.Spec.Taints = []corev1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoSchedule}}
	list := corev1.NodeList{Items: []corev1.Node{
		*ready(fakeNode("kwok-node-0")),
		*tainted,
		*fakeNode("kwok-node-2"),
		*ready(fakeNode("other")),
	}}
	body, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	names := nodeNames(3)
	if got, err := schedulableNodes(body, names); err != nil || got != 1 {
		t.Fatalf("schedulableNodes = %d, %v; want 1", got, err)
	}
	if _, err := schedulableNodes(nil, names); err == nil {
		t.Fatal("no error for an empty body")
	}
}

// The fake nodes are KWOK's (by annotation), untainted, and have room for the example's
// 16-CPU, 8-GiB pods.
func TestFakeNode(t *testing.T) {
	n := fakeNode("kwok-node-0")
	if n.Annotations[kwokNodeAnnotation] != kwokNodeValue || len(n.Spec.Taints) != 0 {
		t.Fatalf("node %+v", n.ObjectMeta)
	}
	cpu, memory := n.Status.Allocatable[corev1.ResourceCPU], n.Status.Allocatable[corev1.ResourceMemory]
	if cpu.Value() < 10*16 || memory.Value() < 10*8<<30 {
		t.Fatalf("allocatable cpu=%s memory=%s", cpu.String(), memory.String())
	}
	if got := nodeNames(2); len(got) != 2 || got[0] != "kwok-node-0" || got[1] != "kwok-node-1" {
		t.Fatalf("nodeNames(2) = %v", got)
	}
}
