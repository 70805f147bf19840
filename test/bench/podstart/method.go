// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"fmt"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
)

// Method says how the pod start figures were taken and where the time goes, for the page.
func Method(r Result, ru bool) string {
	if ru {
		return methodRU(r) + "\n\n" + whereRU(r)
	}
	return methodEN(r) + "\n\n" + whereEN(r)
}

func methodEN(r Result) string {
	return fmt.Sprintf("**Pod start per way of delivering secrets.** A local real cluster (kube-apiserver, scheduler, "+
		"kubelet, containerd), the module's webhook and CSI plugin running next to it, a real OpenBao. Pod start is the time "+
		"from the Create call returning to the application's first instruction. The application is busybox's `adjtimex` "+
		"applet, statically linked: its first system call after start-up reads the wall clock (adjtimex(2), read-only) and "+
		"it prints it to the microsecond; the pods run on the same host and clock as the measurement, which subtracts the "+
		"time Create returned. busybox's `date` was not used: Debian's busybox-static prints no fraction of a second (no "+
		"%%N), and the start time in /proc/<pid>/stat counts 10 ms ticks. Modes: no secrets; a plain pod with one init "+
		"container that runs `true` (a reference, no target); entrypoint injection of one env reference "+
		"(`secrets-store:%s#%s`) with the command in the spec; the same without a command, the webhook reading the "+
		"entrypoint from the image in a registry on 127.0.0.1 (both with the injector from a read-only volume of the "+
		"module's CSI driver, the default); the first again with the injector copied by an init container (the "+
		"annotation `secrets-store.deckhouse.io/injector-delivery: InitContainer`); a CSI volume of a SecretsStoreImport of that key. All pods "+
		"are hostNetwork with restartPolicy Never and their images already in containerd (imagePullPolicy Never). One pod "+
		"of each mode per round, created one at a time, the modes in rotation (each round starts with the next mode) so "+
		"that the noise of the machine falls on every mode alike; each pod is deleted, and gone, before the next is "+
		"created; warm-up rounds, not counted: %d, then %d rounds. The target is a median at most %s above "+
		"that of a pod without secrets. One more mode has the same reference set by the container runtime (the annotation "+
		"`secrets-store.deckhouse.io/env-delivery: NRI`): the webhook adds the environment volume and the settings "+
		"annotation, and the CSI driver's NRI plugin sets the value at CreateContainer.",
		secretPath, secretKey, Warmup, r.Pods, ms(Budget))
}

func methodRU(r Result) string {
	return fmt.Sprintf(i18n.RU("podstart.method.01")+
		i18n.RU("podstart.method.02")+
		i18n.RU("podstart.method.03")+
		i18n.RU("podstart.method.04")+
		i18n.RU("podstart.method.05")+
		i18n.RU("podstart.method.06")+
		i18n.RU("podstart.method.07")+
		i18n.RU("podstart.method.08")+
		i18n.RU("podstart.method.09")+
		i18n.RU("podstart.method.10")+
		i18n.RU("podstart.method.11")+
		i18n.RU("podstart.method.12")+
		i18n.RU("podstart.method.13")+
		i18n.RU("podstart.method.14")+
		i18n.RU("podstart.method.15")+
		i18n.RU("podstart.method.16"),
		secretPath, secretKey, Warmup, r.Pods, ms(Budget))
}

// split is where the extra time of entrypoint injection goes, from the medians.
type split struct {
	csiInject, initInject, saved, initC, exec, rest, image, csi, nri string
}

func splitOf(r Result) split {
	c, in := r.Over(InjectCommand), r.Over(InjectInit)
	e := stats.Percentile(r.Modes[InjectCommand].Exec, 50)
	return split{
		csiInject: signed(c), initInject: signed(in), saved: ms(in - c), initC: signed(r.Over(InitReference)),
		exec: ms(e), rest: signed(c - e), image: signed(r.Median(InjectImage) - r.Median(InjectCommand)), csi: signed(r.Over(CSIVolume)),
		nri: signed(r.Over(InjectNRI)),
	}
}

func whereEN(r Result) string {
	s := splitOf(r)
	return fmt.Sprintf("Where the time goes (differences of medians, so approximate). Entrypoint injection with the injector "+
		"from the CSI driver's volume adds %s to a pod without secrets; with an init container that copies the injector, %s. "+
		"The difference, %s, is what the volume saves: a trivial init container alone adds %s, because the kubelet starts "+
		"the application's container only after it has seen the init container end, and by default it learns that from its "+
		"pod lifecycle event generator (the generic PLEG), which relists the runtime's containers every second. The volume "+
		"is mounted by the plugin (a read-only bind mount of the one copy of the injector on the node; no store request) "+
		"together with the pod's other volumes, before any container starts. From the injector's \"environment resolved\" "+
		"line to the application's first instruction (revoking its store token, execve) takes %s; the rest of injection "+
		"through the volume, %s, is the injector's start, its login and read at the store, and the extra volumes of the pod "+
		"(the projected token and the injector's). Taking the command from the image changes pod start by %s: the webhook "+
		"reads the image at admission, which the Create row shows, not during start. The CSI volume changes the median by "+
		"%s: the kubelet has the plugin mount it (login, read, write to a tmpfs) before any container starts, but every "+
		"pod, the one without secrets too, waits for its volumes (at least the ServiceAccount token's), and the kubelet "+
		"checks them every 300 ms, so a mount that ends within that step adds little that is visible. The delivery through "+
		"NRI changes the median by %s: kubelet publishes the environment volume (the plugin keeps the pod's token; no "+
		"store request) with the pod's other volumes, and the login and read at the store happen at CreateContainer, "+
		"inside containerd's request to the plugin; there is no injector, execve or token revocation in the container.",
		s.csiInject, s.initInject, s.saved, s.initC, s.exec, s.rest, s.image, s.csi, s.nri)
}

func whereRU(r Result) string {
	s := splitOf(r)
	return fmt.Sprintf(i18n.RU("podstart.where.01")+
		i18n.RU("podstart.where.02")+
		i18n.RU("podstart.where.03")+
		i18n.RU("podstart.where.04")+
		i18n.RU("podstart.where.05")+
		i18n.RU("podstart.where.06")+
		i18n.RU("podstart.where.07"),
		s.csiInject, s.initInject, s.saved, s.initC, s.exec, s.rest, s.image, s.csi, s.nri)
}
