// File: server/redis/redis_reply.h
//
// RedisReply: an owned copy of a hiredis reply (RESP2), so replies can leave the Redis event
// loop and be read on any thread. Error replies are values too (type kError): a Lua function
// reports domain outcomes that way, and the caller decides what they mean.
#ifndef HALLMARK_SERVER_REDIS_REDIS_REPLY_H_
#define HALLMARK_SERVER_REDIS_REDIS_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hallmark::redis {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };

  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
  bool is_array() const { return type == Type::kArray; }
};

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REDIS_REPLY_H_
