// Command ratios reads the CSV output of
//
//	benchstat -format csv -col /impl
//
// on standard input and prints, for each benchmark, how lockdep compares
// with sync (lockdep/sync: the cost of validation) and with go-deadlock
// (deadlock/lockdep: how many times faster lockdep is), using benchstat's
// center values (medians). It also prints lockdep's allocations per
// operation, which the budget requires to be 0 on the cached fast path.
package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("ratios: ")

	r := csv.NewReader(os.Stdin)
	r.FieldsPerRecord = -1 // the header lines and the tables differ in width
	r.LazyQuotes = true

	// values[unit][benchmark][impl] is benchstat's center value.
	values := map[string]map[string]map[string]float64{}
	var rows []string // benchmark names, in input order, without duplicates
	seen := map[string]bool{}

	var names []string      // the row naming the columns (sync, lockdep, ...)
	var unit string         // unit of the current table
	var cols map[string]int // impl -> index of its value column
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if len(rec) < 2 {
			continue // goos:, pkg:, cpu: lines
		}
		if rec[0] == "" {
			// Each table starts with two header rows: the column
			// (implementation) names, then the units.
			if names == nil {
				names = rec
				continue
			}
			unit, cols = rec[1], map[string]int{}
			for i, u := range rec {
				if u == unit && i < len(names) && names[i] != "" {
					cols[names[i]] = i
				}
			}
			names = nil
			if values[unit] == nil {
				values[unit] = map[string]map[string]float64{}
			}
			continue
		}
		if cols == nil {
			continue
		}
		bench := rec[0]
		for impl, i := range cols {
			if i >= len(rec) {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				continue // empty geomean of an all-zero column
			}
			if values[unit][bench] == nil {
				values[unit][bench] = map[string]float64{}
			}
			values[unit][bench][impl] = v
		}
		if !seen[bench] {
			seen[bench] = true
			rows = append(rows, bench)
		}
	}

	times := values["sec/op"]
	if times == nil {
		log.Fatal("no sec/op table in input")
	}
	allocs := values["allocs/op"]

	width := len("benchmark")
	for _, bench := range rows {
		width = max(width, len(bench))
	}
	const format = "%-*s  %12s  %16s  %17s\n"
	fmt.Printf(format, width, "benchmark", "lockdep/sync", "deadlock/lockdep", "lockdep allocs/op")
	for _, bench := range rows {
		t := times[bench]
		if t == nil {
			continue
		}
		a := "-"
		if v, ok := allocs[bench]["lockdep"]; ok {
			a = strconv.FormatFloat(v, 'g', -1, 64)
		}
		fmt.Printf(format, width, bench,
			ratio(t["lockdep"], t["sync"]), ratio(t["deadlock"], t["lockdep"]), a)
	}
}

// ratio formats num/den as "12.3x", or "-" if either is missing.
func ratio(num, den float64) string {
	if num == 0 || den == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", num/den)
}
