// Command libcni_driver is a minimal CNI runtime built on the real libcni (Debian's
// golang-github-appc-cni-dev, libcni 1.1.2, spec <= 1.0.0). The conformance suite uses it to check that
// plugins interoperate with the library kubelet runtimes, Multus and podman are built on.
//
// It reads one JSON request on stdin, performs it through libcni and prints one JSON response on stdout.
// The plugins it executes inherit its network namespace, so the suite starts it inside the node netns.
//
//	request:  {"op": "version|validate|add|check|del|cached", "pluginDirs": [...], "cacheDir": "...",
//	           "pluginType": "...", "conflist": {...}, "containerID": "...", "netns": "...",
//	           "ifname": "...", "args": [["K","V"]], "capabilityArgs": {...}}
//	response: {"ok": true|false, "result": {...}, "supportedVersions": [...], "capabilities": [...],
//	           "error": {"code": N, "msg": "...", "details": "..."}}
//
// Exit status 0 means a response was printed (whatever the plugin did); 2 means the request was unusable.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// Generous: a plugin that needs longer is broken, and the suite reports the timeout as its failure.
const operationTimeout = 60 * time.Second

type request struct {
	Op             string                 `json:"op"`
	PluginDirs     []string               `json:"pluginDirs"`
	CacheDir       string                 `json:"cacheDir"`
	PluginType     string                 `json:"pluginType"`
	Conflist       json.RawMessage        `json:"conflist"`
	ContainerID    string                 `json:"containerID"`
	NetNS          string                 `json:"netns"`
	IfName         string                 `json:"ifname"`
	Args           [][2]string            `json:"args"`
	CapabilityArgs map[string]interface{} `json:"capabilityArgs"`
}

type errorInfo struct {
	Code    uint   `json:"code"`
	Msg     string `json:"msg"`
	Details string `json:"details,omitempty"`
}

type response struct {
	OK                bool            `json:"ok"`
	Result            json.RawMessage `json:"result,omitempty"`
	SupportedVersions []string        `json:"supportedVersions,omitempty"`
	Capabilities      []string        `json:"capabilities,omitempty"`
	Error             *errorInfo      `json:"error,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "libcni_driver: cannot decode the request on stdin: %v\n", err)
		os.Exit(2)
	}
	resp, err := perform(req)
	if err != nil {
		resp = response{Error: describe(err)}
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintf(os.Stderr, "libcni_driver: cannot write the response: %v\n", err)
		os.Exit(2)
	}
}

// perform runs one libcni operation; plugin failures come back as errors.
func perform(req request) (response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), operationTimeout)
	defer cancel()
	cni := libcni.NewCNIConfigWithCacheDir(req.PluginDirs, req.CacheDir, nil)
	if req.Op == "version" {
		info, err := cni.GetVersionInfo(ctx, req.PluginType)
		if err != nil {
			return response{}, err
		}
		return response{OK: true, SupportedVersions: info.SupportedVersions()}, nil
	}
	list, err := libcni.ConfListFromBytes(req.Conflist)
	if err != nil {
		return response{}, fmt.Errorf("conflist rejected by libcni: %w", err)
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    req.ContainerID,
		NetNS:          req.NetNS,
		IfName:         req.IfName,
		Args:           req.Args,
		CapabilityArgs: req.CapabilityArgs,
	}
	return performOnList(ctx, cni, req.Op, list, rt)
}

func performOnList(
	ctx context.Context, cni *libcni.CNIConfig, op string, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf,
) (response, error) {
	switch op {
	case "validate":
		capabilities, err := cni.ValidateNetworkList(ctx, list)
		return response{OK: err == nil, Capabilities: capabilities}, err
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		return withResult(result, err)
	case "check":
		err := cni.CheckNetworkList(ctx, list, rt)
		return response{OK: err == nil}, err
	case "del":
		err := cni.DelNetworkList(ctx, list, rt)
		return response{OK: err == nil}, err
	case "cached":
		result, err := cni.GetNetworkListCachedResult(list, rt)
		return withResult(result, err)
	}
	return response{}, fmt.Errorf("unknown op %q (want version, validate, add, check, del or cached)", op)
}

// withResult renders a libcni result (nil when nothing is cached) as JSON in its own version.
func withResult(result types.Result, err error) (response, error) {
	if err != nil {
		return response{}, err
	}
	if result == nil {
		return response{OK: true}, nil
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return response{}, fmt.Errorf("cannot encode the result: %w", err)
	}
	return response{OK: true, Result: raw}, nil
}

// describe keeps the plugin's own error code when libcni hands back the plugin's error object.
func describe(err error) *errorInfo {
	var pluginErr *types.Error
	if errors.As(err, &pluginErr) {
		return &errorInfo{Code: pluginErr.Code, Msg: pluginErr.Msg, Details: pluginErr.Details}
	}
	return &errorInfo{Msg: err.Error()}
}
