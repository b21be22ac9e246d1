// File: server/redis/hiredis_reply.h
//
// Internal to server/redis: a hiredis reply as a RedisReply (a deep copy).
#ifndef HALLMARK_SERVER_REDIS_HIREDIS_REPLY_H_
#define HALLMARK_SERVER_REDIS_HIREDIS_REPLY_H_

#include "server/redis/redis_reply.h"

struct redisReply;

namespace hallmark::redis {

RedisReply FromHiredis(const redisReply* reply);

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_HIREDIS_REPLY_H_
