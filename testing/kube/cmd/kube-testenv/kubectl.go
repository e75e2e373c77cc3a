package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	kubectl "k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

// runKubectl runs kubectl with args, as k8s.io/kubernetes/cmd/kubectl does: the verbosity is
// read from args before the command is built (plugins and .kuberc are handled during
// construction), and errors are printed the way kubectl prints them (util.CheckErr exits).
// The client auth plugins (exec, OIDC) are not linked: the test clusters use tokens and
// client certificates only.
func runKubectl(args []string) int {
	argv := append([]string{"kubectl"}, args...)
	logs.GlogSetter(kubectl.GetLogVerbosity(argv)) //nolint:errcheck // as upstream kubectl
	// NewDefaultKubectlCommand reads os.Args (plugin lookup, verbosity); make them kubectl's.
	os.Args = argv
	command := kubectl.NewDefaultKubectlCommand()
	command.SetArgs(args)
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
	return 0
}
