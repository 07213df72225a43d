# Debian package (CPack DEB): the binary, the man page (gzip -9n, as Debian policy wants),
# bash and zsh completions, the README. Built by packaging/build-deb.sh; installed and
# removed again by tests/cli/deb-install.sh.
find_program(MEMMAP_GZIP gzip REQUIRED)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/memmap.8.gz
  COMMAND ${MEMMAP_GZIP} -9 -n -c ${PROJECT_SOURCE_DIR}/man/memmap.8 > ${PROJECT_BINARY_DIR}/memmap.8.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/man/memmap.8
  COMMENT "Compressing the man page")
add_custom_target(memmap_manpage ALL DEPENDS ${PROJECT_BINARY_DIR}/memmap.8.gz)

install(FILES ${PROJECT_BINARY_DIR}/memmap.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/memmap.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME memmap)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/_memmap
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME memmap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "show a Linux machine's address spaces as one model")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "memmap developers <memmap@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libpci3, libfmt9, libarchive13, ... from the binary
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pci.ids")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pciutils, bash-completion")
# CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY first, as the synopsis line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "memmap reads /proc/iomem, /proc/ioports, the PCI devices in sysfs (BARs,\nbridge windows), IOMMU groups and DMA traces into one model, and answers\nquestions about it in text, JSON and exit codes. It captures a machine into\na snapshot that it reads back anywhere, and compares snapshots (memmap diff).")
include(CPack)
