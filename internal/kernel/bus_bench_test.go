package kernel

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

const benchTopic = "db.public.todos.insert"

// benchPayload stands for a row change; a pointer is what publishers will
// usually pass, and it fits in an interface without allocating.
type benchPayload struct {
	Table string
	ID    int64
}

var benchData any = &benchPayload{Table: "todos", ID: 42}

// BenchmarkBusPublishDeliver measures one Publish plus the receive of the event
// by every matching subscriber, on one goroutine, so that it compares directly
// with BenchmarkBaselineChannel.
func BenchmarkBusPublishDeliver(b *testing.B) {
	distinct := make([]string, 0, 100)
	for i := range 99 {
		switch i % 4 {
		case 0:
			distinct = append(distinct, fmt.Sprintf("db.public.t%d.insert", i))
		case 1:
			distinct = append(distinct, fmt.Sprintf("db.*.t%d.update", i))
		case 2:
			distinct = append(distinct, fmt.Sprintf("db.public.t%d.>", i))
		case 3:
			distinct = append(distinct, fmt.Sprintf("auth.user.%d.*", i))
		}
	}
	distinct = append(distinct, "db.public.todos.>")

	tests := []struct {
		name     string
		patterns []string
	}{
		{"1sub", []string{benchTopic}},
		{"100subs_1match", distinct},
		{"10subs_all_match", []string{
			"db.public.todos.insert", "db.public.todos.*", "db.public.*.insert", "db.*.todos.insert",
			"*.public.todos.insert", "db.public.>", "db.>", ">", "*.*.*.*", "db.*.*.>",
		}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			bus := NewBus(BusLogger(slog.New(slog.DiscardHandler)))
			defer bus.Close()
			var matching []*Subscription
			for _, p := range tt.patterns {
				s, err := bus.Subscribe(p)
				if err != nil {
					b.Fatal(err)
				}
				if refMatch(p, benchTopic) {
					matching = append(matching, s)
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := bus.Publish(ctx, benchTopic, benchData); err != nil {
					b.Fatal(err)
				}
				for _, s := range matching {
					<-s.C()
				}
			}
		})
	}
}

// BenchmarkBaselineChannel is the floor for BenchmarkBusPublishDeliver: a send
// and a receive of the same Event on bare buffered channels, one or ten.
func BenchmarkBaselineChannel(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("%dchan", n), func(b *testing.B) {
			chans := make([]chan Event, n)
			for i := range chans {
				chans[i] = make(chan Event, DefaultQueueSize)
			}
			ev := Event{Topic: benchTopic, Data: benchData, Time: time.Now()}
			b.ReportAllocs()
			for b.Loop() {
				for _, ch := range chans {
					ch <- ev
				}
				for _, ch := range chans {
					<-ch
				}
			}
		})
	}
}

// BenchmarkBusPublishParallel measures publishers on every P contending for
// the bus: with no subscriber (the cached match alone), and with one whose
// full queue drops every event.
func BenchmarkBusPublishParallel(b *testing.B) {
	for _, withSub := range []bool{false, true} {
		name := "no_subscriber"
		if withSub {
			name = "1sub_full_drop_newest"
		}
		b.Run(name, func(b *testing.B) {
			bus := NewBus(BusLogger(slog.New(slog.DiscardHandler)))
			defer bus.Close()
			if withSub {
				if _, err := bus.Subscribe("db.>", QueueSize(1), DropNewest()); err != nil {
					b.Fatal(err)
				}
				if err := bus.Publish(context.Background(), benchTopic, benchData); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := bus.Publish(ctx, benchTopic, benchData); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
