package harness

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
)

// RecordCheck is what the checker found in an append workload's file,
// judged against its history: a Jepsen-style set check by sequence number.
type RecordCheck struct {
	History    Snapshot
	Found      []int // intact records, by number, each once
	Lost       []int // acknowledged, not found at all
	Corrupted  []int // found with a checksum that does not match
	Garbled    []int // byte offsets of lines that are no record at all
	Duplicated []int // found intact more than once
	Unexpected []int // found intact, never attempted
	Foreign    int   // records of another workload
	Torn       string
}

// checkRecords parses data, an append workload's file, and checks it
// against s, what the workload attempted and acknowledged before the file
// was read; attempted is how far it had got once the file was read, as a
// workload still running appends while it is read. At most one record may
// be torn, at the tail: the write under way when the container stopped.
func checkRecords(workload string, s Snapshot, attempted int, data []byte) RecordCheck {
	rc := RecordCheck{History: s}
	seen := map[int]int{}
	corrupted := map[int]bool{}
	offset := 0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			rc.Torn = torn(workload, data)
			break
		}
		line := string(data[:i])
		data, offset = data[i+1:], offset+i+1
		wid, seq, ok, parsed := parseRecord(line)
		switch {
		case !parsed:
			rc.Garbled = append(rc.Garbled, offset-i-1)
		case wid != workload:
			rc.Foreign++
		case !ok:
			corrupted[seq] = true
		default:
			seen[seq]++
		}
	}
	acked := map[int]bool{}
	for _, n := range s.Acked {
		acked[n] = true
		if seen[n] == 0 && !corrupted[n] {
			rc.Lost = append(rc.Lost, n)
		}
	}
	for n, times := range seen {
		switch {
		case n > max(attempted, s.Attempted) || n < 1:
			rc.Unexpected = append(rc.Unexpected, n)
		default:
			rc.Found = append(rc.Found, n)
		}
		if times > 1 {
			rc.Duplicated = append(rc.Duplicated, n)
		}
	}
	for n := range corrupted {
		rc.Corrupted = append(rc.Corrupted, n)
	}
	for _, l := range [][]int{rc.Found, rc.Lost, rc.Corrupted, rc.Duplicated, rc.Unexpected} {
		slices.Sort(l)
	}
	return rc
}

// parseRecord parses one line of a file of records. parsed says it has the
// shape of a record; ok that its checksum matches.
func parseRecord(line string) (workload string, seq int, ok, parsed bool) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "R" {
		return "", 0, false, false
	}
	seq, err := strconv.Atoi(f[2])
	if err != nil {
		return "", 0, false, false
	}
	body := strings.Join(f[:4], " ")
	return f[1], seq, fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) == f[4], true
}

// torn describes a partial record at the end of a file.
func torn(workload string, tail []byte) string {
	f := strings.Fields(string(tail))
	if len(f) >= 3 && f[0] == "R" && f[1] == workload {
		return fmt.Sprintf("a partial record %s (%s)", f[2], size(int64(len(tail))))
	}
	return fmt.Sprintf("%s of a partial record", size(int64(len(tail))))
}

// lostOrCorrupted returns the acknowledged numbers not found intact.
func (rc RecordCheck) lostOrCorrupted() []int {
	acked := map[int]bool{}
	for _, n := range rc.History.Acked {
		acked[n] = true
	}
	out := slices.Clone(rc.Lost)
	for _, n := range rc.Corrupted {
		if acked[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// damaged reports whether the file holds anything that is not an intact
// record of the workload, but for a torn tail.
func (rc RecordCheck) damaged() bool {
	return len(rc.Corrupted) > 0 || len(rc.Garbled) > 0 || len(rc.Unexpected) > 0 || rc.Foreign > 0
}

// detail renders everything the check found, for a failure.
func (rc RecordCheck) detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "    history: %s\n", rc.History)
	fmt.Fprintf(&b, "    found: %d intact records (%s)", len(rc.Found), ranges(rc.Found))
	if len(rc.Lost) > 0 {
		fmt.Fprintf(&b, "; lost: %d (%s)", len(rc.Lost), ranges(rc.Lost))
	}
	if len(rc.Corrupted) > 0 {
		fmt.Fprintf(&b, "; corrupted (checksum mismatch): %d (%s)", len(rc.Corrupted), ranges(rc.Corrupted))
	}
	if len(rc.Garbled) > 0 {
		fmt.Fprintf(&b, "; %d lines that are no record, the first at byte %d", len(rc.Garbled), rc.Garbled[0])
	}
	if len(rc.Duplicated) > 0 {
		fmt.Fprintf(&b, "; duplicated: %s", ranges(rc.Duplicated))
	}
	if len(rc.Unexpected) > 0 {
		fmt.Fprintf(&b, "; never attempted: %s", ranges(rc.Unexpected))
	}
	if rc.Foreign > 0 {
		fmt.Fprintf(&b, "; %d records of another workload", rc.Foreign)
	}
	if rc.Torn != "" {
		fmt.Fprintf(&b, "; torn tail: %s, allowed", rc.Torn)
	}
	return b.String()
}
