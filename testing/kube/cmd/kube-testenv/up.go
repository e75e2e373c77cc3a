package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/version"
)

// controllers run by kube-controller-manager: enough for namespaces to be deleted, owners to
// be garbage-collected, service accounts and their tokens to exist, and workloads to expand
// (Deployment → ReplicaSet → Pod). kube-scheduler binds the Pods to nodes; with --kwok, KWOK
// plays the kubelet of fake nodes, so Pods run, become Ready and (Job Pods) complete.
var controllers = []string{
	"namespace-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"deployment-controller",
	"replicaset-controller",
	"statefulset-controller",
	"daemonset-controller",
	"job-controller",
	"cronjob-controller",
	"ttl-after-finished-controller",
	"disruption-controller",
	// Takes the node.kubernetes.io/not-ready taint, which the apiserver puts on every new
	// Node, off the KWOK nodes once they are Ready (and would put it back if KWOK stopped
	// renewing their leases).
	"node-lifecycle-controller",
	// EndpointSlices of Services, which `sisyphus push` waits on for a Service that selects
	// the pods it rolls out.
	"endpointslice-controller",
}

var contextName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$`)

// ready is the JSON line printed on stdout once the cluster serves requests.
type ready struct {
	Name       string `json:"name"`
	Kubeconfig string `json:"kubeconfig"`
	Server     string `json:"server"`
	Version    string `json:"version"`
	// Nodes are the names of the KWOK nodes, all Ready (empty without --kwok).
	Nodes []string `json:"nodes"`
}

// cluster is one running control plane.
type cluster struct {
	name, dir, self string
	pki             *pki
	etcd            *embed.Etcd
	etcdURL         string
	server          string
	kubeconfig      string
	// kwok and kwokConfig are the KWOK binary and its stages file; empty: no KWOK, no nodes.
	kwok, kwokConfig string
	nodes            []string
	apiserver, kcm   *child
	scheduler        *child
	// kwokChild is KWOK's process, nil without --kwok.
	kwokChild *child
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kube-testenv up: "+format+"\n", args...)
}

// runUp implements `kube-testenv up` and returns the exit code.
func runUp(args []string) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	name := fs.String("name", "", "kubeconfig context name of the cluster (required)")
	dir := fs.String("dir", "", "directory for etcd data, PKI, kubeconfig and logs (required)")
	keepDir := fs.Bool("keep-dir", false, "keep the directory on shutdown (it is always kept when start-up fails)")
	timeout := fs.Duration("timeout", 120*time.Second, "how long start-up may take")
	kwok := fs.String("kwok", "", "KWOK binary (sigs.k8s.io/kwok/cmd/kwok): run it with --nodes fake nodes")
	kwokConfig := fs.String("kwok-config", "", "KWOK stages file passed to kwok --config (required with --kwok)")
	nodes := fs.Int("nodes", 3, "number of KWOK nodes (with --kwok)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*kwok == "") != (*kwokConfig == "") {
		logf("--kwok and --kwok-config go together (got --kwok=%q --kwok-config=%q)", *kwok, *kwokConfig)
		return 2
	}
	if *kwok != "" && (*nodes < 1 || *nodes > 100) {
		logf("invalid --nodes %d, expected 1 to 100", *nodes)
		return 2
	}
	if !contextName.MatchString(*name) {
		logf("invalid --name %q, expected a DNS-1123 subdomain label such as `c1`", *name)
		return 2
	}
	if *dir == "" {
		logf("missing --dir")
		return 2
	}
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		logf("resolve --dir %s: %v", *dir, err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		logf("find own executable: %v", err)
		return 1
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	watchForShutdown(ctx, cancel)

	started := time.Now()
	c := &cluster{name: *name, dir: absDir, self: self}
	if *kwok != "" {
		for _, path := range []*string{kwok, kwokConfig} {
			if *path, err = filepath.Abs(*path); err != nil {
				logf("resolve %s: %v", *path, err)
				return 2
			}
		}
		c.kwok, c.kwokConfig, c.nodes = *kwok, *kwokConfig, nodeNames(*nodes)
	}
	startCtx, startCancel := context.WithTimeout(ctx, *timeout)
	err = c.start(startCtx)
	startCancel()
	if err != nil {
		logf("start-up failed after %s: %v", time.Since(started).Round(time.Millisecond), err)
		c.shutdown()
		logf("logs kept in %s", absDir)
		return 1
	}
	logf("cluster %q ready in %s at %s", c.name, time.Since(started).Round(time.Millisecond), c.server)
	line, err := json.Marshal(ready{Name: c.name, Kubeconfig: c.kubeconfig, Server: c.server, Version: version.Get().GitVersion, Nodes: c.nodes})
	if err != nil {
		logf("encode ready line: %v", err)
		c.shutdown()
		return 1
	}
	fmt.Println(string(line))

	code := 0
	select {
	case <-ctx.Done():
		logf("shutting down: %v", context.Cause(ctx))
	case exited := <-firstExit(c.children()):
		logf("%s exited (%v); log tail:\n%s", exited.name, exited.err, exited.tail(30))
		code = 1
	case err := <-c.etcd.Err():
		logf("embedded etcd failed: %v", err)
		code = 1
	}
	c.shutdown()
	if code == 0 && !*keepDir {
		if err := os.RemoveAll(absDir); err != nil {
			logf("remove %s: %v", absDir, err)
		}
	}
	return code
}

// watchForShutdown cancels ctx on SIGTERM/SIGINT/SIGHUP, on EOF of stdin when stdin is a
// pipe or socket (the parent holds the other end and it closes when the parent dies), and
// when the parent process changes (reparenting after the parent died).
func watchForShutdown(ctx context.Context, cancel context.CancelCauseFunc) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		select {
		case s := <-signals:
			cancel(fmt.Errorf("received %v", s))
		case <-ctx.Done():
		}
	}()
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0 {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel(errors.New("stdin closed (parent gone)"))
		}()
	}
	parent := os.Getppid()
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if os.Getppid() != parent {
					cancel(fmt.Errorf("parent process %d exited", parent))
					return
				}
			}
		}
	}()
}

// start brings up etcd, kube-apiserver (waiting for /readyz), kube-controller-manager
// (waiting for the `default` service account it creates), kube-scheduler and, with --kwok,
// the fake nodes and KWOK (waiting for every node to be Ready and untainted).
func (c *cluster) start(ctx context.Context) error {
	began := time.Now()
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", c.dir, err)
	}
	var err error
	if c.pki, err = writePKI(filepath.Join(c.dir, "pki")); err != nil {
		return err
	}
	c.etcd, c.etcdURL, err = startEtcd(c.name, filepath.Join(c.dir, "etcd"), filepath.Join(c.dir, "etcd.log"))
	if err != nil {
		return fmt.Errorf("%w; etcd log tail:\n%s", err, tailFile(filepath.Join(c.dir, "etcd.log"), 20))
	}
	client := c.httpClient()
	for attempt := 1; ; attempt++ {
		err = c.startAPIServer(ctx, client)
		if err == nil {
			break
		}
		// c.apiserver is nil when the child never started (no port, log not writable).
		if attempt < 3 && c.apiserver != nil && strings.Contains(c.apiserver.tail(50), "address already in use") {
			logf("apiserver port taken, retrying on another port")
			c.apiserver.stop(10 * time.Second)
			continue
		}
		return err
	}
	logf("kube-apiserver ready after %s", time.Since(began).Round(time.Millisecond))
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	for _, kc := range []struct{ path, token string }{
		{c.kubeconfig, c.pki.Token},
		{filepath.Join(c.dir, "scheduler.kubeconfig"), c.pki.SchedulerToken},
		{filepath.Join(c.dir, "kwok.kubeconfig"), c.pki.KwokToken},
	} {
		if err := writeKubeconfig(kc.path, c.name, c.server, c.pki.CAPEM, kc.token); err != nil {
			return err
		}
	}
	if c.kcm, err = startChild(c.self, "kube-controller-manager", filepath.Join(c.dir, "controller-manager.log"), c.kcmArgs()); err != nil {
		return err
	}
	if c.scheduler, err = startChild(c.self, "kube-scheduler", filepath.Join(c.dir, "scheduler.log"), c.schedulerArgs()); err != nil {
		return err
	}
	if c.kwok != "" {
		for _, name := range c.nodes {
			if err := createNode(client, c.server, c.pki.Token, fakeNode(name)); err != nil {
				return err
			}
		}
		if c.kwokChild, err = startChild(c.kwok, "kwok", filepath.Join(c.dir, "kwok.log"), c.kwokArgs()); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, c.waitingOn(c.kcm), func() bool {
		return get(client, c.server, c.pki.Token, "/api/v1/namespaces/default/serviceaccounts/default") == http.StatusOK
	}, "the `default` service account (created by kube-controller-manager)"); err != nil {
		return err
	}
	if c.kwok == "" {
		return nil
	}
	return waitFor(ctx, c.waitingOn(c.kwokChild), func() bool {
		ready, err := schedulableNodes(getBody(client, c.server, c.pki.Token, "/api/v1/nodes"), c.nodes)
		return err == nil && ready == len(c.nodes)
	}, fmt.Sprintf("%d KWOK nodes to be Ready and untainted", len(c.nodes)))
}

// waitingOn returns owner, then the other started components: what waitFor watches while
// waiting for something owner does.
func (c *cluster) waitingOn(owner *child) []*child {
	owners := []*child{owner}
	for _, ch := range c.children() {
		if ch != owner {
			owners = append(owners, ch)
		}
	}
	return owners
}

// children returns the started components, kwok first.
func (c *cluster) children() []*child {
	var all []*child
	for _, ch := range []*child{c.kwokChild, c.scheduler, c.kcm, c.apiserver} {
		if ch != nil {
			all = append(all, ch)
		}
	}
	return all
}

// startAPIServer starts kube-apiserver on a free port and waits for /readyz.
func (c *cluster) startAPIServer(ctx context.Context, client *http.Client) error {
	c.apiserver = nil
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	c.server = "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	c.apiserver, err = startChild(c.self, "kube-apiserver", filepath.Join(c.dir, "apiserver.log"), c.apiserverArgs(ports[0]))
	if err != nil {
		return err
	}
	return waitFor(ctx, []*child{c.apiserver}, func() bool {
		return get(client, c.server, c.pki.Token, "/readyz") == http.StatusOK
	}, "kube-apiserver /readyz")
}

func (c *cluster) apiserverArgs(port int) []string {
	return []string{
		"apiserver",
		"--etcd-servers=" + c.etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(c.dir, "pki"),
		"--tls-cert-file=" + c.pki.ServingCert,
		"--tls-private-key-file=" + c.pki.ServingKey,
		"--client-ca-file=" + c.pki.CACert,
		"--token-auth-file=" + c.pki.TokenFile,
		"--authorization-mode=RBAC",
		// A /16: room for the tens of thousands of Services scripts/bench-push creates.
		"--service-cluster-ip-range=10.0.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + c.pki.SAPublic,
		"--service-account-signing-key-file=" + c.pki.SAPrivate,
		"--allow-privileged=true",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
	}
}

func (c *cluster) kcmArgs() []string {
	return []string{
		"controller-manager",
		"--kubeconfig=" + c.kubeconfig,
		"--leader-elect=false",
		"--controllers=" + strings.Join(controllers, ","),
		"--service-account-private-key-file=" + c.pki.SAPrivate,
		"--root-ca-file=" + c.pki.CACert,
		"--use-service-account-credentials=false",
		"--secure-port=0",
		"--profiling=false",
		// The default 20 requests/s let the status updates of a thousand ReplicaSets starve
		// their pod creations (51 of 1,000 Pods after 3.5 minutes in bench-push --rollout).
		"--kube-api-qps=300",
		"--kube-api-burst=600",
	}
}

func (c *cluster) schedulerArgs() []string {
	return []string{
		"scheduler",
		"--kubeconfig=" + filepath.Join(c.dir, "scheduler.kubeconfig"),
		"--leader-elect=false",
		"--secure-port=0",
		"--profiling=false",
	}
}

func (c *cluster) kwokArgs() []string {
	return []string{
		"--kubeconfig=" + filepath.Join(c.dir, "kwok.kubeconfig"),
		"--config=" + c.kwokConfig,
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
		// Pod IPs outside the service range 10.0.0.0/16.
		"--cidr=10.244.0.0/16",
		// Renew a Lease per node (the heartbeat-with-lease stage updates node status only
		// every ten minutes and relies on it). Without it no Lease exists, the node lifecycle
		// controller marks every node NotReady after its grace period, and the Pods on them
		// Ready=False, which no stage ever turns back.
		"--node-lease-duration-seconds=40",
	}
}

// shutdown stops KWOK, the scheduler and the controller manager, then the apiserver, then
// etcd.
func (c *cluster) shutdown() {
	for _, ch := range []*child{c.kwokChild, c.scheduler, c.kcm} {
		if ch != nil {
			ch.stop(5 * time.Second)
		}
	}
	if c.apiserver != nil {
		c.apiserver.stop(10 * time.Second)
	}
	if c.etcd != nil {
		c.etcd.Close()
	}
}

// httpClient trusts the cluster CA only.
func (c *cluster) httpClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.pki.CAPEM)
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

// get returns the status code of GET server+path with the bearer token, or 0 on error.
func get(client *http.Client, server, token, path string) int {
	req, err := http.NewRequest(http.MethodGet, server+path, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls probe every 100 ms until it returns true, failing with the log tail of the
// owner that exits first, or of owners[0] (the one waited for) when ctx ends.
func waitFor(ctx context.Context, owners []*child, probe func() bool, what string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	exited := firstExit(owners)
	for {
		if probe() {
			return nil
		}
		select {
		case owner := <-exited:
			return fmt.Errorf("%s exited (%v) while waiting for %s; log %s, last lines:\n%s", owner.name, owner.err, what, owner.log, owner.tail(30))
		case <-ctx.Done():
			owner := owners[0]
			return fmt.Errorf("gave up waiting for %s (%v); %s log %s, last lines:\n%s", what, context.Cause(ctx), owner.name, owner.log, owner.tail(30))
		case <-tick.C:
		}
	}
}
