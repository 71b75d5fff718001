package threeway

import "testing"

func TestScheduleFinishReport(t *testing.T) {
	q, w, m := new(Queue), new(Worker), new(Metrics)
	for _, step := range []func(){
		func() { Schedule(q, w, "build") },
		func() { Finish(w, m) },
		func() {
			if queued, done := Report(m, q); queued != 1 || done != 1 {
				t.Errorf("Report = %d, %d; want 1, 1", queued, done)
			}
		},
	} {
		done := make(chan struct{})
		go func() { step(); close(done) }()
		<-done
	}
}
