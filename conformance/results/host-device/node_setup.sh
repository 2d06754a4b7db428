#!/bin/sh
# Node setup for Debian's host-device: a veth pair stands in for the NIC that host-device hands to the
# pod (hostdev<N> moves into the pod, its peer stays on the node). Run by the suite in the throwaway node
# netns before each attachment; CNI_CONFORMANCE_ATTACHMENT is the attachment's number in the case.
set -eu
n="$CNI_CONFORMANCE_ATTACHMENT"
ip link add "hostdev$n" type veth peer name "hostdevp$n"
ip link set "hostdevp$n" up
