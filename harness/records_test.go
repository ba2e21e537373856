package harness

import (
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
)

// record is the agent's record format (fixtures/agent), rebuilt here so
// that the checker is tested against files it did not write.
func record(workload string, seq int) string {
	body := fmt.Sprintf("R %s %d %032x", workload, seq, seq*7919)
	return fmt.Sprintf("%s %08x\n", body, crc32.ChecksumIEEE([]byte(body)))
}

func records(workload string, seqs ...int) string {
	var b strings.Builder
	for _, n := range seqs {
		b.WriteString(record(workload, n))
	}
	return b.String()
}

func seq(from, to int) []int {
	var out []int
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

func TestCheckRecords(t *testing.T) {
	acked := Snapshot{Attempted: 10, Acked: seq(1, 9)} // 10 was in flight
	corrupt := strings.Replace(record("w", 5), "R w 5 ", "R w 5 f", 1)
	tests := []struct {
		name      string
		data      string
		attempted int // once the file was read
		lost      []int
		corrupted []int
		dup, unex []int
		garbled   int
		torn      bool
		damaged   bool
	}{
		{"all there, the one in flight too", records("w", seq(1, 10)...), 10, nil, nil, nil, nil, 0, false, false},
		{"all acknowledged there, the one in flight torn", records("w", seq(1, 9)...) + "R w 10 0000", 10, nil, nil, nil, nil, 0, true, false},
		{"the last three lost", records("w", seq(1, 6)...), 10, []int{7, 8, 9}, nil, nil, nil, 0, false, false},
		{"nothing there", "", 10, seq(1, 9), nil, nil, nil, 0, false, false},
		{"one corrupted", records("w", 1, 2, 3, 4) + corrupt + records("w", 6, 7, 8, 9), 10, nil, []int{5}, nil, nil, 0, false, true},
		{"one duplicated", records("w", seq(1, 9)...) + record("w", 3), 10, nil, nil, []int{3}, nil, 0, false, false},
		{"appended while it was read", records("w", seq(1, 14)...), 14, nil, nil, nil, nil, 0, false, false},
		{"never attempted", records("w", seq(1, 9)...) + record("w", 99), 12, nil, nil, nil, []int{99}, 0, false, true},
		{"garbage in the middle", records("w", 1, 2, 3) + "garbage\n" + records("w", seq(4, 9)...), 10, nil, nil, nil, nil, 1, false, true},
		{"another workload's records", records("w", seq(1, 9)...) + record("x", 1), 10, nil, nil, nil, nil, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := checkRecords("w", acked, tt.attempted, []byte(tt.data))
			if !slices.Equal(rc.Lost, tt.lost) || !slices.Equal(rc.Corrupted, tt.corrupted) || !slices.Equal(rc.Duplicated, tt.dup) ||
				!slices.Equal(rc.Unexpected, tt.unex) || len(rc.Garbled) != tt.garbled || (rc.Torn != "") != tt.torn || rc.damaged() != tt.damaged {
				t.Errorf("got lost %v corrupted %v duplicated %v unexpected %v garbled %v torn %q damaged %v\nwant lost %v corrupted %v duplicated %v unexpected %v garbled %d torn %v damaged %v",
					rc.Lost, rc.Corrupted, rc.Duplicated, rc.Unexpected, rc.Garbled, rc.Torn, rc.damaged(), tt.lost, tt.corrupted, tt.dup, tt.unex, tt.garbled, tt.torn, tt.damaged)
			}
		})
	}
}

func TestRanges(t *testing.T) {
	for in, want := range map[string]string{
		"":            "none",
		"1":           "1",
		"1 2 3":       "1-3",
		"1 2 3 5 7 8": "1-3, 5, 7-8",
	} {
		var ns []int
		for _, f := range strings.Fields(in) {
			var n int
			fmt.Sscan(f, &n)
			ns = append(ns, n)
		}
		if got := ranges(ns); got != want {
			t.Errorf("ranges(%v) = %q, want %q", ns, got, want)
		}
	}
}

func TestListedNumbers(t *testing.T) {
	got := listedNumbers([]byte("k17\n 3|x\nnothing\n12 and 13\n"))
	if len(got) != 3 || !got[17] || !got[3] || !got[12] {
		t.Errorf("listedNumbers = %v, want 17, 3 and 12: the first whole number of each line", got)
	}
}
