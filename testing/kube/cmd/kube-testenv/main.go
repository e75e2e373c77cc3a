// Command kube-testenv runs a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) on loopback for tests, optionally with KWOK fake
// nodes that run the Pods, and carries kubectl from the same Kubernetes module for tests,
// benchmarks and the demo.
//
// It is one multi-call binary:
//
//	kube-testenv up --name <context> --dir <dir>   start a cluster, print one JSON line when ready
//	    [--kwok <kwok binary> --kwok-config <stages.yaml> [--nodes 3]]
//	kube-testenv apiserver <flags>                  kube-apiserver (re-executed by `up`)
//	kube-testenv controller-manager <flags>         kube-controller-manager (re-executed by `up`)
//	kube-testenv scheduler <flags>                  kube-scheduler (re-executed by `up`)
//	kube-testenv kubectl <args>                     kubectl of the same Kubernetes version
//
// `up` owns <dir>: etcd data, PKI, kubeconfigs and the logs of all components (KWOK, built
// from its own module in testing/kwok, is run by `up` as one more child). It touches nothing
// else on the machine except loopback ports.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

const usage = `usage:
  kube-testenv up --name <context> --dir <dir> [--keep-dir]
                  [--kwok <kwok binary> --kwok-config <stages.yaml> [--nodes <n>]]
  kube-testenv apiserver <kube-apiserver flags>
  kube-testenv controller-manager <kube-controller-manager flags>
  kube-testenv scheduler <kube-scheduler flags>
  kube-testenv kubectl <kubectl args>
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "up":
		os.Exit(runUp(os.Args[2:]))
	case "apiserver":
		os.Exit(runCobra(apiserver.NewAPIServerCommand(), os.Args[2:]))
	case "controller-manager":
		os.Exit(runCobra(kcm.NewControllerManagerCommand(), os.Args[2:]))
	case "scheduler":
		os.Exit(runCobra(scheduler.NewSchedulerCommand(), os.Args[2:]))
	case "kubectl":
		os.Exit(runKubectl(os.Args[2:]))
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "kube-testenv: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}

// runCobra runs a Kubernetes component command with args and returns its exit code.
func runCobra(cmd *cobra.Command, args []string) int {
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "kube-testenv %s: %v\n", os.Args[1], err)
		return 1
	}
	return 0
}
