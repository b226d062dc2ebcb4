// Protobuf messages on arenas of their own, so that parsing a batch of
// documents and building its answers cost a few block allocations instead
// of one or more per message and per string field, and freeing them one
// pass over the blocks: ArenaMessageAllocator for the request and response
// of unary calls, ArenaMessage for the messages a stream queues.
//
// Thread-compatible; ArenaMessageAllocator is thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_
#define CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>

namespace classifyd {

// One message and the arena it lives on. Queues hold it by unique_ptr, so
// the message itself is never moved or copied.
template <typename Message>
class ArenaMessage {
 public:
  explicit ArenaMessage(const google::protobuf::ArenaOptions& options)
      : arena_(options),
        message_(google::protobuf::Arena::CreateMessage<Message>(&arena_)) {}
  ArenaMessage(const ArenaMessage&) = delete;
  ArenaMessage& operator=(const ArenaMessage&) = delete;

  Message* get() { return message_; }
  const Message& operator*() const { return *message_; }
  Message* operator->() { return message_; }
  const Message* operator->() const { return message_; }

 private:
  google::protobuf::Arena arena_;
  Message* const message_;
};

// Arenas whose first block is `start_block_bytes`, about what one call or
// message needs, and whose later blocks double up to 32 KiB, under
// malloc's mmap threshold.
inline google::protobuf::ArenaOptions ArenaBlocks(size_t start_block_bytes) {
  google::protobuf::ArenaOptions options;
  options.start_block_size = start_block_bytes;
  options.max_block_size = 32 * 1024;
  return options;
}

// Set on a callback method with its generated SetMessageAllocatorFor_*();
// the allocator must outlive the server.
// `start_block_bytes`: the arena's first block, about what one call's
// messages take (a batch of 64 headlines and its answers some 40 KiB).
template <typename Request, typename Response>
class ArenaMessageAllocator final
    : public grpc::MessageAllocator<Request, Response> {
 public:
  explicit ArenaMessageAllocator(size_t start_block_bytes)
      : options_(ArenaBlocks(start_block_bytes)) {}

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder(options_);
  }

 private:
  // Owns the arena; gRPC releases it when the call is done with both.
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    explicit Holder(const google::protobuf::ArenaOptions& options)
        : arena_(options) {
      this->set_request(
          google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    google::protobuf::Arena arena_;
  };

  const google::protobuf::ArenaOptions options_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_
