/* A shared object without qcts_backend_entry: refused with dlerror(). */
int not_a_qcts_plugin(void);
int not_a_qcts_plugin(void)
{
    return 42;
}
