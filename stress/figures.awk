# Turns FIGURE lines into the markdown table of docs/robustness.md.
#
# usage: awk -f figures.awk LOG...
# A line `FIGURE | what | value | command` anywhere in a log (a test's
# output, a guest's serial log) is one figure; lines with the same `what`
# add up into one row, in the order first seen, naming every command.

function trim(s) {
    gsub(/^[ \t\r]+|[ \t\r]+$/, "", s)
    return s
}

# 1234567 -> 1,234,567
function grouped(n,    s, out) {
    s = sprintf("%.0f", n)  # %d is 32-bit in some awks
    out = ""
    while (length(s) > 3) {
        out = "," substr(s, length(s) - 2) out
        s = substr(s, 1, length(s) - 3)
    }
    return s out
}

{
    at = index($0, "FIGURE | ")
    if (at == 0) next
    n = split(substr($0, at + 9), part, " \\| ")
    if (n != 3) next
    what = trim(part[1]); value = trim(part[2]) + 0; command = trim(part[3])
    if (!(what in total)) { order[++rows] = what; total[what] = 0 }
    total[what] += value
    if (index(SUBSEP commands[what] SUBSEP, SUBSEP command SUBSEP) == 0)
        commands[what] = commands[what] (commands[what] == "" ? "" : SUBSEP) command
}

END {
    print "| Figure | Value | Command |"
    print "|---|---:|---|"
    for (i = 1; i <= rows; i++) {
        what = order[i]
        k = split(commands[what], list, SUBSEP)
        shown = ""
        for (j = 1; j <= k; j++) shown = shown (j > 1 ? "; " : "") "`" list[j] "`"
        printf "| %s | %s | %s |\n", what, grouped(total[what]), shown
    }
}
