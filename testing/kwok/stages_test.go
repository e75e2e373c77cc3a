package kwok

import (
	"context"
	"slices"
	"testing"

	"sigs.k8s.io/kwok/pkg/apis/internalversion"
	"sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/utils/lifecycle"
)

// loadStages reads stages.yaml the way kwok reads its --config and returns the stages of kind.
func loadStages(t *testing.T, kind string) lifecycle.Lifecycle {
	t.Helper()
	objs, err := config.Load(context.Background(), "stages.yaml")
	if err != nil {
		t.Fatalf("load stages.yaml: %v", err)
	}
	var stages []*internalversion.Stage
	for _, stage := range config.FilterWithType[*internalversion.Stage](objs) {
		if stage.Spec.ResourceRef.Kind == kind {
			stages = append(stages, stage)
		}
	}
	lc, err := lifecycle.NewLifecycle(stages)
	if err != nil {
		t.Fatalf("build lifecycle: %v", err)
	}
	return lc
}

// matching returns the names of the stages that match obj, sorted.
func matching(t *testing.T, lc lifecycle.Lifecycle, obj map[string]any) []string {
	t.Helper()
	meta, _ := obj["metadata"].(map[string]any)
	event := &lifecycle.Event{Labels: stringMap(meta["labels"]), Annotations: stringMap(meta["annotations"]), Data: obj}
	stages, err := lc.ListAllPossible(context.Background(), event)
	if err != nil {
		t.Fatalf("match: %v", err)
	}
	var names []string
	for _, s := range stages {
		names = append(names, s.Name())
	}
	slices.Sort(names)
	return names
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

func pod(labels map[string]any, phase string, owner string, ready string) map[string]any {
	meta := map[string]any{"name": "p", "namespace": "ns"}
	if labels != nil {
		meta["labels"] = labels
	}
	if owner != "" {
		meta["ownerReferences"] = []any{map[string]any{"kind": owner, "name": "o"}}
	}
	status := map[string]any{"phase": phase}
	if ready != "" {
		status["conditions"] = []any{map[string]any{"type": "Ready", "status": ready}}
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": meta,
		"spec":   map[string]any{"nodeName": "kwok-node-0", "containers": []any{map[string]any{"name": "c", "image": "i"}}},
		"status": status,
	}
}

// Each pod state is matched by exactly the stage that moves it on, so kwok never picks one of
// two at random (it does when several match).
func TestPodStages(t *testing.T) {
	lc := loadStages(t, "Pod")
	neverReady := map[string]any{"sisyphus.test/never-ready": "true"}
	cases := []struct {
		name string
		pod  map[string]any
		want []string
	}{
		{"a pending pod becomes ready", pod(nil, "Pending", "ReplicaSet", ""), []string{"pod-ready"}},
		{"other labels do not matter", pod(map[string]any{"app": "echo", "sisyphus.test/never-ready": "false"}, "Pending", "", ""), []string{"pod-ready"}},
		{"a never-ready pod goes to never-ready", pod(neverReady, "Pending", "ReplicaSet", ""), []string{"pod-never-ready"}},
		{"a running never-ready pod stays as it is", pod(neverReady, "Running", "ReplicaSet", "False"), nil},
		{"a running ready pod stays as it is", pod(nil, "Running", "ReplicaSet", "True"), nil},
		{"a running Job pod completes", pod(nil, "Running", "Job", "True"), []string{"pod-complete"}},
		{"a succeeded Job pod stays as it is", pod(nil, "Succeeded", "Job", "False"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := matching(t, lc, c.pod); !slices.Equal(got, c.want) {
				t.Fatalf("stages = %v, want %v", got, c.want)
			}
		})
	}
	deleted := pod(nil, "Running", "ReplicaSet", "True")
	deleted["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
	if got := matching(t, lc, deleted); !slices.Equal(got, []string{"pod-delete"}) {
		t.Fatalf("deleted pod: stages = %v, want [pod-delete]", got)
	}
}

// A new node is initialized (made Ready), then only heartbeats.
func TestNodeStages(t *testing.T) {
	lc := loadStages(t, "Node")
	node := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "n"}, "status": map[string]any{}}
	if got := matching(t, lc, node); !slices.Equal(got, []string{"node-initialize"}) {
		t.Fatalf("new node: stages = %v", got)
	}
	node["status"] = map[string]any{"phase": "Running", "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}
	if got := matching(t, lc, node); !slices.Equal(got, []string{"node-heartbeat-with-lease"}) {
		t.Fatalf("ready node: stages = %v", got)
	}
}
