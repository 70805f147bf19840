// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"fmt"

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
		"entrypoint from the image in a registry on 127.0.0.1; a CSI volume of a SecretsStoreImport of that key. All pods "+
		"are hostNetwork with restartPolicy Never and their images already in containerd (imagePullPolicy Never). One pod "+
		"of each mode per round, created one at a time, the modes in rotation (each round starts with the next mode) so "+
		"that the noise of the machine falls on every mode alike; each pod is deleted, and gone, before the next is "+
		"created; warm-up rounds, not counted: %d, then %d rounds. The target is a median at most %s above "+
		"that of a pod without secrets.",
		secretPath, secretKey, Warmup, r.Pods, ms(Budget))
}

func methodRU(r Result) string {
	return fmt.Sprintf("**Запуск пода при разных способах доставки секретов.** Локальный настоящий кластер (kube-apiserver, "+
		"планировщик, kubelet, containerd), вебхук и CSI-плагин модуля запущены рядом с ним, настоящий OpenBao. Время "+
		"запуска — от возврата вызова Create до первой инструкции приложения. Приложение — апплет `adjtimex` из busybox, "+
		"статически собранный: его первый системный вызов после старта читает часы реального времени (adjtimex(2), только "+
		"чтение), и он печатает их с точностью до микросекунды; поды работают на том же узле и с теми же часами, что и "+
		"измерение, которое вычитает момент возврата Create. `date` из busybox не подошёл: busybox-static из Debian не "+
		"печатает долей секунды (нет %%N), а время старта в /proc/<pid>/stat считается тиками по 10 мс. Режимы: без "+
		"секретов; обычный под с одним init-контейнером, выполняющим `true` (для сравнения, без цели); инъекция через "+
		"entrypoint одной ссылки в env (`secrets-store:%s#%s`) с командой в спецификации; то же без команды — вебхук "+
		"читает entrypoint из образа в реестре на 127.0.0.1; том CSI с SecretsStoreImport этого ключа. Все поды с "+
		"hostNetwork и restartPolicy Never, их образы уже в containerd (imagePullPolicy Never). В каждом раунде по одному "+
		"поду каждого режима, создаются по одному, режимы по кругу (каждый раунд начинается со следующего режима), чтобы "+
		"шум машины приходился на все режимы одинаково; каждый под удаляется и исчезает до создания следующего; раундов "+
		"прогрева (не учитываются): %d, затем раундов: %d. Цель — медиана не более чем на %s выше, чем у пода "+
		"без секретов.",
		secretPath, secretKey, Warmup, r.Pods, ms(Budget))
}

// split is where the extra time of entrypoint injection with the command in the spec goes,
// from the medians: the init container alone (the reference row), the injector's work
// after the environment is resolved, and the rest.
func split(r Result) (initC, exec, rest, total, image, csi string) {
	i, t := r.Over(InitReference), r.Over(InjectCommand)
	e := stats.Percentile(r.Modes[InjectCommand].Exec, 50)
	return signed(i), ms(e), signed(t - i - e), signed(t), signed(r.Median(InjectImage) - r.Median(InjectCommand)), signed(r.Over(CSIVolume))
}

func whereEN(r Result) string {
	initC, exec, rest, total, image, csi := split(r)
	return fmt.Sprintf("Where the time goes (differences of medians, so approximate). Entrypoint injection adds %s to a pod without secrets. A trivial "+
		"init container alone adds %s: the kubelet starts the application's container only after it has seen the init "+
		"container end, and by default it learns that from its pod lifecycle event generator (the generic PLEG), "+
		"which relists the runtime's containers every second. The injector copies itself in such an init container, so that part of the "+
		"cost is the init container, not the injector's work. From the injector's \"environment resolved\" line to the "+
		"application's first instruction (revoking its store token, execve) takes %s; the remaining %s is the "+
		"injector's start, its login and read at the store, and the extra volumes of the pod (the projected token and "+
		"the emptyDir that carries the injector). Taking the command from the image changes pod start by %s: the webhook "+
		"reads the image at admission, which the Create row shows, not during start. The CSI volume changes the median by %s: the "+
		"kubelet has the plugin mount it (login, read, write to a tmpfs) before any container starts, but every pod, the "+
		"one without secrets too, waits for its volumes (at least the ServiceAccount token's), and the kubelet checks "+
		"them every 300 ms, so a mount that ends within that step adds nothing visible; nor is there an init container.", total, initC, exec, rest, image, csi)
}

func whereRU(r Result) string {
	initC, exec, rest, total, image, csi := split(r)
	return fmt.Sprintf("Куда уходит время (разности медиан, поэтому приблизительно). Инъекция через entrypoint добавляет %s к поду без секретов. "+
		"Пустой init-контейнер сам по себе добавляет %s: kubelet запускает контейнер приложения, только когда увидит, что "+
		"init-контейнер завершился, а по умолчанию он узнаёт об этом от генератора событий жизненного цикла подов (PLEG), "+
		"который перечитывает контейнеры среды выполнения раз в секунду. Инжектор копирует себя именно в таком "+
		"init-контейнере, так что эта часть — цена init-контейнера, а не работы инжектора. От записи инжектора "+
		"«environment resolved» до первой инструкции приложения (отзыв токена хранилища, execve) проходит %s; остальные "+
		"%s — старт инжектора, вход и чтение в хранилище и дополнительные тома пода (проецируемый токен и emptyDir с "+
		"инжектором). Команда из образа меняет время запуска на %s: вебхук читает образ при допуске (это видно в строке "+
		"про Create), а не при запуске. Том CSI меняет медиану на %s: kubelet просит плагин смонтировать его (вход, чтение, "+
		"запись в tmpfs) до запуска любого контейнера, но каждый под, и под без секретов тоже, ждёт свои тома (как минимум "+
		"том с токеном ServiceAccount), а kubelet проверяет их раз в 300 мс, так что монтирование, которое укладывается в "+
		"этот шаг, не добавляет ничего заметного; init-контейнера при этом нет.", total, initC, exec, rest, image, csi)
}
