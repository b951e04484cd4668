# The chart of docs/benchmarks.md: for each metric, how many times faster this
# system is than Linux in the same QEMU machine, as measured under -icount and
# as estimated for hardware (the second table of the page says how).
#
# usage: gnuplot -e "data='chart.dat'; out='benchmarks.svg'" bench/chart.gp
# chart.dat: one line per metric, "label" measured estimated (awk format=chart).
set terminal svg size 900,420 dynamic enhanced font "sans,12" background rgb "white"
set output out
set title "This system against Linux 6.1 in the same QEMU machine (higher is better for this system)"
set ylabel "times faster than Linux"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set yrange [0:*]
set key top left
set xtics nomirror scale 0 font ",10"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#aa0000" dt 2
plot data using 2:xtic(1) title "measured (icount: 1 ns per instruction)" lc rgb "#4477aa", \
     '' using 3 title "hardware estimate (entries and CR3 writes costed)" lc rgb "#ee9944"
