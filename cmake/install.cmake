# Installing Hallmark (docs/architecture.md, README "Install"):
#   cmake --install build --prefix /opt/hallmark
# installs the binaries, the C++ client library (Hallmark::client, with its headers and the
# generated API headers), the .proto files, and a CMake package, so a partner's project says
#   find_package(Hallmark CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE Hallmark::client)
# `cpack -G DEB` (run in the build directory) makes a .deb of the same install plus the
# systemd unit, its environment file and the Redis settings.
# Installing and packaging take what was built (cmake --install never builds; this makes
# `cpack` and `make install` not rebuild the tree first either): build, then install.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HALLMARK_VERSION 0.9.0)
set(HALLMARK_INCLUDE_ROOT ${CMAKE_INSTALL_INCLUDEDIR}/hallmark)  # -I<prefix>/include/hallmark

# The client library and what it links from this tree.
foreach(t hallmark_client hallmark_proto hallmark_common)
  target_include_directories(${t} INTERFACE $<INSTALL_INTERFACE:${HALLMARK_INCLUDE_ROOT}>)
endforeach()
set_target_properties(hallmark_client PROPERTIES EXPORT_NAME client)
set_target_properties(hallmark_proto PROPERTIES EXPORT_NAME proto)
set_target_properties(hallmark_common PROPERTIES EXPORT_NAME common)
install(TARGETS hallmark_client hallmark_proto hallmark_common EXPORT HallmarkTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT client)
install(FILES client/hallmark_client.h client/client_options.h
        DESTINATION ${HALLMARK_INCLUDE_ROOT}/client COMPONENT client)
install(FILES common/net.h DESTINATION ${HALLMARK_INCLUDE_ROOT}/common COMPONENT client)
install(DIRECTORY ${PROJECT_BINARY_DIR}/proto/ DESTINATION ${HALLMARK_INCLUDE_ROOT}
        COMPONENT client FILES_MATCHING PATTERN "*.pb.h" PATTERN "CMakeFiles" EXCLUDE)
install(DIRECTORY proto/hallmark proto/google proto/grpc
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hallmark/proto COMPONENT client
        FILES_MATCHING PATTERN "*.proto")
install(EXPORT HallmarkTargets NAMESPACE Hallmark::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Hallmark COMPONENT client)
configure_package_config_file(cmake/HallmarkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/HallmarkConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Hallmark)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/HallmarkConfigVersion.cmake
  VERSION ${HALLMARK_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/HallmarkConfig.cmake
              ${PROJECT_BINARY_DIR}/HallmarkConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Hallmark COMPONENT client)

# The service: binaries, the systemd unit (pointing at the installed binary), its environment
# file, the Redis settings and the docs.
install(TARGETS hallmark-server hallmarkctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT server)
# The unit names the binary where this install puts it (the prefix is known at install time).
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/systemd/hallmark-server.service\" unit)
  string(REPLACE \"/usr/local/bin/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\" unit \"\${unit}\")
  file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/hallmark-server.service\" \"\${unit}\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/hallmark-server.service\")
" COMPONENT server)
# Its environment file: /etc/hallmark/hallmark.env under the /usr prefix (the .deb),
# <prefix>/etc/hallmark/hallmark.env anywhere else.
install(CODE "
  if(\"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
    set(etc \"\$ENV{DESTDIR}/etc/hallmark\")
  else()
    set(etc \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/etc/hallmark\")
  endif()
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/systemd/hallmark-server.env\" env)
  file(WRITE \"\${etc}/hallmark.env\" \"\${env}\")
  message(STATUS \"Installing: \${etc}/hallmark.env\")
" COMPONENT server)
install(FILES deploy/redis/redis.conf deploy/redis/redis-cluster.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hallmark/redis COMPONENT server)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server)

# The .deb: everything above, with its library dependencies found by dpkg-shlibdeps, and a
# postinst that creates the service user and the key directory (keys and principals are the
# operator's: docs/operations.md).
set(CPACK_PACKAGE_NAME hallmark)
set(CPACK_PACKAGE_VERSION ${HALLMARK_VERSION})
set(CPACK_PACKAGE_CONTACT "Hallmark maintainers <hallmark@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Unit registry and verification service against counterfeits and stolen goods")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS redis-server)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/deploy/debian/postinst;${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_GENERATOR DEB)
include(CPack)
