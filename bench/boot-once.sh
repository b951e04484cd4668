#!/bin/bash
# Boots the OS once under QEMU, types COMMAND at the first shell prompt and
# `poweroff` at the next one, and writes every console line to LOG prefixed
# with the host time it arrived (seconds since the epoch), plus HOST lines:
#   HOST start T | HOST prompt T | HOST end T rc RC
# Typing is paced by the prompt rather than piped at once, so no input can be
# lost while the machine boots.
#
# usage: boot-once.sh LOG COMMAND      (QEMU arguments in $QEMU_CMD, one string)
# env:   BOOT_TIMEOUT (s, default 300) bounds the whole run.
set -uo pipefail
log=$1 command=$2
: "${QEMU_CMD:?QEMU_CMD must hold the QEMU command line}"
limit=${BOOT_TIMEOUT:-300}

start=$EPOCHREALTIME
echo "HOST start $start" > "$log"
# shellcheck disable=SC2086  # QEMU_CMD is a word list by design
coproc GUEST { exec timeout -k 5 "$limit" $QEMU_CMD 2>&1; }
guest_pid=$GUEST_PID
exec {from_guest}<&"${GUEST[0]}" {to_guest}>&"${GUEST[1]}"

prompts=0 line=""
deadline=$(( ${start%.*} + limit + 10 ))
while (( ${EPOCHREALTIME%.*} < deadline )); do
    IFS= read -r -N1 -t 5 -u "$from_guest" char
    status=$?
    # A timeout (status > 128) just means a quiet guest; end of file ends the run.
    (( status > 128 )) && continue
    (( status == 0 )) || break
    if [[ $char == $'\n' ]]; then
        printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}" >> "$log"
        line=""
        continue
    fi
    line+=$char
    if [[ $line == '$ ' ]]; then
        prompts=$((prompts + 1))
        case $prompts in
            1) echo "HOST prompt $EPOCHREALTIME" >> "$log"
               printf '%s\n' "$command" >&"$to_guest" ;;
            2) printf 'poweroff\n' >&"$to_guest" ;;
        esac
    fi
done
[[ -n $line ]] && printf '%s %s\n' "$EPOCHREALTIME" "$line" >> "$log"
exec {to_guest}>&- {from_guest}<&-
wait "$guest_pid"
rc=$?
echo "HOST end $EPOCHREALTIME rc $rc" >> "$log"
exit "$rc"
