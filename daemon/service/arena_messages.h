// Puts the request and response of each unary call on a protobuf arena of
// their own, so that parsing a batch of documents and building its answers
// cost a few block allocations instead of one or more per message and per
// string field, and freeing them one pass over the blocks.
//
// Set on a callback method with its generated SetMessageAllocatorFor_*();
// the allocator must outlive the server. Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_
#define CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>

namespace classifyd {

// `start_block_bytes`: the arena's first block, about what one call's
// messages take (a batch of 64 headlines and its answers some 40 KiB);
// later blocks double up to 32 KiB, under malloc's mmap threshold.
template <typename Request, typename Response>
class ArenaMessageAllocator final
    : public grpc::MessageAllocator<Request, Response> {
 public:
  explicit ArenaMessageAllocator(size_t start_block_bytes) {
    options_.start_block_size = start_block_bytes;
    options_.max_block_size = kMaxBlockBytes;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder(options_);
  }

 private:
  static constexpr size_t kMaxBlockBytes = 32 * 1024;

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

  google::protobuf::ArenaOptions options_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_ARENA_MESSAGES_H_
