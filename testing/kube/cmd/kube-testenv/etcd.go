package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// startEtcd starts an embedded single-member etcd with its data in dataDir and its log in
// logPath, listening on free loopback ports. It retries with new ports when one was taken.
func startEtcd(name, dataDir, logPath string) (*embed.Etcd, string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, "", err
		}
		clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))}
		peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}
		cfg := embed.NewConfig()
		cfg.Name = name
		cfg.Dir = dataDir
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		// Test data only: losing it on a crash is fine, and fsync dominates write latency.
		cfg.UnsafeNoFsync = true
		cfg.Logger = "zap"
		cfg.LogLevel = "error"
		cfg.LogOutputs = []string{logPath}
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = fmt.Errorf("start embedded etcd on %s: %w", clientURL.Host, err)
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, clientURL.String(), nil
		case err := <-e.Err():
			e.Close()
			lastErr = fmt.Errorf("embedded etcd on %s failed: %w", clientURL.Host, err)
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, "", fmt.Errorf("embedded etcd on %s not ready after 60s", clientURL.Host)
		}
	}
	return nil, "", lastErr
}

// freePorts returns n distinct loopback ports that were free a moment ago (the kernel
// picks them; a port can still be taken before its server binds it, callers retry).
func freePorts(n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
